import { parseArgs } from 'node:util';
import { z } from 'zod';

// Command-line options of `npm run bench`. Every option has a default that
// fits a 2-core machine in about fifteen minutes.

const positiveInt = z.coerce.number().int().positive();

export const BenchOptionsSchema = z.object({
  /** Spans in each generated session (one OTLP request per session). */
  spansPerSession: positiveInt.default(20),
  /** Characters of prompt text on each model request span. */
  attributeBytes: z.coerce.number().int().min(0).default(1024),
  encoding: z.enum(['protobuf', 'json']).default('protobuf'),
  /** Requests in flight during the maximum-rate phase. */
  concurrency: positiveInt.default(32),
  /** Seconds of the maximum-rate phase. */
  maxRateSeconds: positiveInt.default(30),
  /** Sessions per second of the fixed-rate phase; 0 takes half the measured maximum. */
  sessionsPerSecond: z.coerce.number().min(0).default(0),
  /** Seconds of the fixed-rate phase that measures latency and freshness. */
  fixedRateSeconds: positiveInt.default(30),
  /** Seconds of the burst at ten times the fixed rate. */
  burstSeconds: positiveInt.default(5),
  /** Spans in the timeline table; the timeline goals are stated for 10 million. */
  timelineRows: positiveInt.default(10_000_000),
  /** Timeline requests per measured session size. */
  timelineQueries: positiveInt.default(30),
  /** Messages each Kafka client produces and reads back. */
  clientMessages: positiveInt.default(5_000),
  /** Spans inserted straight into ClickHouse for the direct-insert limit. */
  directInsertSpans: positiveInt.default(100_000),
  /** Phases to skip, comma-separated: limits, clients, timeline. */
  skip: z.string().default(''),
  /** Path of the JSON result. */
  out: z.string().default('bench/results/latest.json'),
});

export type BenchOptions = z.infer<typeof BenchOptionsSchema>;

const optionNames = Object.keys(BenchOptionsSchema.shape) as (keyof BenchOptions)[];

function toKebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(optionNames.map((name) => [toKebabCase(name), { type: 'string' as const }])),
    allowPositionals: false,
  });
  const raw = Object.fromEntries(optionNames.map((name) => [name, values[toKebabCase(name)]]).filter(([, value]) => value !== undefined));
  const parsed = BenchOptionsSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${toKebabCase(String(issue.path[0]))}: ${issue.message}`);
    throw new Error(`invalid benchmark options:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}
