import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { pino } from 'pino';
import { normalizeTraces } from '../services/shared/normalize/index.ts';
import { stampSpanRows } from '../services/shared/storage/ingest-columns.ts';
import { migrate } from '../services/shared/storage/migrate.ts';
import { appendSpanRows, buildSpanRows, countRows, emptySpanRows, insertSpanRows, type SpanRows } from '../services/shared/storage/span-store.ts';
import { KAFKA_VERSION } from '../test/infra/kafka-broker.ts';
import { createTopic } from './kafka-clients.ts';
import { readCpuSeconds } from './proc-stats.ts';
import { buildSessionData, type SessionShape } from './session-payloads.ts';

// The two limits the pipeline is measured against on the same machine:
// ClickHouse taking the same rows in large batches with no pipeline in
// front, and Kafka's own producer benchmark tool on the same broker.

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface DirectInsertResult {
  spans: number;
  batchSpans: number;
  seconds: number;
  spansPerSecond: number;
  clickhouseCpuSeconds: number;
}

/**
 * Builds the rows of `sessions` sessions exactly as the writer does, then
 * times inserting them into a fresh database's tables in batches of
 * `batchSpans` spans. Building the rows is not timed.
 */
export async function measureDirectInsert(options: {
  clickhouseUrl: string;
  clickhousePid: number;
  database: string;
  shape: SessionShape;
  sessions: number;
  batchSpans: number;
  tenant: string;
}): Promise<DirectInsertResult> {
  const bootstrap = createClient({ url: options.clickhouseUrl });
  await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  await bootstrap.close();
  const client = createClient({
    url: options.clickhouseUrl,
    database: options.database,
    clickhouse_settings: { session_timezone: 'UTC', output_format_json_quote_64bit_integers: 1 },
  });
  await migrate(client, pino({ level: 'warn' }));

  const identity = { tenant: options.tenant, principal: 'bench:direct-insert', agent: '' };
  const batches: SpanRows[] = [];
  let current = emptySpanRows();
  for (let index = 0; index < options.sessions; index += 1) {
    const traceId = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
    const data = buildSessionData(options.shape, traceId, `direct-${traceId}`);
    appendSpanRows(current, stampSpanRows(buildSpanRows(data, normalizeTraces(data)), identity));
    if (countRows(current) >= options.batchSpans) {
      batches.push(current);
      current = emptySpanRows();
    }
  }
  if (countRows(current) > 0) batches.push(current);

  const cpuBefore = readCpuSeconds(options.clickhousePid);
  const started = performance.now();
  for (const batch of batches) await insertSpanRows(client, batch);
  const seconds = (performance.now() - started) / 1000;
  const spans = batches.reduce((sum, batch) => sum + countRows(batch), 0);
  const result = {
    spans,
    batchSpans: options.batchSpans,
    seconds,
    spansPerSecond: spans / seconds,
    clickhouseCpuSeconds: readCpuSeconds(options.clickhousePid) - cpuBefore,
  };
  await client.close();
  return result;
}

export interface ProducerPerformanceResult {
  records: number;
  recordBytes: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
  /** The tool's summary line, as printed. */
  summary: string;
}

/** Downloads org.apache.kafka:kafka-tools and its dependencies with Maven once, into .cache/kafka-tools. */
async function ensureKafkaToolsJars(version: string): Promise<string> {
  const libsDir = join(repositoryRoot, '.cache/kafka-tools', version, 'libs');
  if (existsSync(join(libsDir, `kafka-tools-${version}.jar`))) return libsDir;
  const partialDir = `${libsDir}.partial-${process.pid}`;
  await mkdir(dirname(libsDir), { recursive: true });
  const exitCode = await runCommand('mvn', [
    '-q', '-B', '-f', join(repositoryRoot, 'bench/kafka-tools/pom.xml'), 'dependency:copy-dependencies',
    `-Dkafka.version=${version}`, `-DoutputDirectory=${partialDir}`,
  ]);
  if (exitCode.code !== 0) {
    await rm(partialDir, { recursive: true, force: true });
    throw new Error(`Maven failed to resolve org.apache.kafka:kafka-tools:${version}:\n${exitCode.output.slice(-3000)}`);
  }
  await rename(partialDir, libsDir);
  return libsDir;
}

function runCommand(command: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolveRun({ code: code ?? -1, output }));
  });
}

/**
 * Runs Kafka's ProducerPerformance tool against the broker with records of
 * the pipeline's message size, acks=all and the tool's default batching.
 */
export async function measureKafkaProducerLimit(options: {
  brokers: string;
  topic: string;
  records: number;
  recordBytes: number;
}): Promise<ProducerPerformanceResult> {
  const libsDir = await ensureKafkaToolsJars(KAFKA_VERSION);
  // The test broker does not create topics on first use; the pipeline's topic has 3 partitions too.
  await createTopic(options.brokers, options.topic, 3);
  const java = process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
  const run = await runCommand(java, [
    '-Xmx512m',
    '-cp', join(libsDir, '*'),
    'org.apache.kafka.tools.ProducerPerformance',
    '--topic', options.topic,
    '--num-records', String(options.records),
    '--record-size', String(options.recordBytes),
    '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${options.brokers}`, 'acks=all', 'enable.idempotence=true',
  ]);
  // Final line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th."
  const summary = run.output.split('\n').find((line) => /records sent, .* records\/sec/.test(line) && /99th/.test(line));
  const match = summary === undefined
    ? null
    : /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(summary.trim());
  if (run.code !== 0 || match === null) {
    throw new Error(`ProducerPerformance failed (exit code ${run.code}):\n${run.output.slice(-3000)}`);
  }
  return {
    records: Number(match[1]),
    recordBytes: options.recordBytes,
    recordsPerSecond: Number(match[2]),
    megabytesPerSecond: Number(match[3]),
    avgLatencyMs: Number(match[4]),
    p99LatencyMs: Number(match[5]),
    summary: summary!.trim(),
  };
}
