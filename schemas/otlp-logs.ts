import { z } from 'zod';
import type { AnyValue, InstrumentationScope, KeyValue } from './otlp.ts';
import { JsonInt64Schema, JsonKeyValueSchema, JsonAnyValueSchema } from './otlp.ts';

// The decoded form of OTLP log data. GenAI instrumentations send model
// messages, tool-call choices and coding agents' tool decisions as log
// records with an event name; the gateway accepts them on /v1/logs. Ids are
// lowercase hex and empty when the record belongs to no span.

export interface LogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: AnyValue;
  attributes: KeyValue[];
  traceId: string;
  spanId: string;
  eventName: string;
}

export interface ScopeLogs {
  scope: InstrumentationScope;
  logRecords: LogRecord[];
  schemaUrl: string;
}

export interface ResourceLogs {
  resource: { attributes: KeyValue[] };
  scopeLogs: ScopeLogs[];
  schemaUrl: string;
}

export interface LogsData {
  resourceLogs: ResourceLogs[];
}

/** A log record that the gateway or writer did not accept, and why. */
export interface LogRejection {
  reason: string;
}

const JsonAttributesSchema = z.array(JsonKeyValueSchema).optional();

export const JsonLogRecordSchema = z.object({
  timeUnixNano: JsonInt64Schema.optional(),
  observedTimeUnixNano: JsonInt64Schema.optional(),
  severityNumber: z.number().int().optional(),
  severityText: z.string().optional(),
  body: JsonAnyValueSchema.optional(),
  attributes: JsonAttributesSchema,
  traceId: z.string().optional(),
  spanId: z.string().optional(),
  eventName: z.string().optional(),
});

export const JsonLogsDataSchema = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: z.object({ attributes: JsonAttributesSchema }).optional(),
        schemaUrl: z.string().optional(),
        scopeLogs: z
          .array(
            z.object({
              scope: z
                .object({ name: z.string().optional(), version: z.string().optional(), attributes: JsonAttributesSchema })
                .optional(),
              schemaUrl: z.string().optional(),
              logRecords: z.array(z.unknown()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});
