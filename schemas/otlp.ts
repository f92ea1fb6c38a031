import { z } from 'zod';

// The decoded form of OTLP trace data that every service passes around.
// Protobuf and JSON request bodies both decode to it, and the gateway
// encodes it back to OTLP protobuf for Kafka. Ids are lowercase hex, times
// are nanoseconds since the Unix epoch as bigint, so nothing loses precision.

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: bigint }
  | { doubleValue: number }
  | { bytesValue: Uint8Array }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  | Record<string, never>;

export interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: KeyValue[];
}

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: KeyValue[];
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: KeyValue[];
}

/** OTLP span status codes: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

/** OTLP span kinds: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
export type SpanKind = 0 | 1 | 2 | 3 | 4 | 5;

export interface Span {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: SpanKind;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: KeyValue[];
  events: SpanEvent[];
  links: SpanLink[];
  status: { code: StatusCode; message: string };
}

export interface ScopeSpans {
  scope: InstrumentationScope;
  spans: Span[];
  schemaUrl: string;
}

export interface ResourceSpans {
  resource: { attributes: KeyValue[] };
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}

export interface TracesData {
  resourceSpans: ResourceSpans[];
}

/** A span that the gateway or writer did not accept, and why. */
export interface SpanRejection {
  traceId: string;
  spanId: string;
  reason: string;
}

// OTLP/JSON wire format (the subset accepted). Ids are hex strings, enums
// are integers, and 64-bit integers arrive as decimal strings, as JSON
// numbers (bigint when above 2^53, see the JSON reader) or, from older
// JavaScript exporters, as {low, high} objects. Unknown fields are ignored.

const LongBitsSchema = z.object({
  low: z.number().int(),
  high: z.number().int(),
  unsigned: z.boolean().optional(),
});

export const JsonInt64Schema = z.union([
  z.bigint(),
  z.number().int(),
  z.string().regex(/^-?\d+$/, 'expected a decimal integer string'),
  LongBitsSchema,
]);

export type JsonInt64 = z.infer<typeof JsonInt64Schema>;

// Attribute values are read leniently: a member of the wrong JSON type (a
// number in stringValue, a word in intValue) is kept and converted by the
// JSON reader instead of rejecting the whole span, because agents'
// instrumentations get these wrong and the span still matters.
export interface JsonAnyValue {
  stringValue?: unknown;
  boolValue?: unknown;
  intValue?: unknown;
  doubleValue?: unknown;
  bytesValue?: unknown;
  arrayValue?: { values?: JsonAnyValue[] };
  kvlistValue?: { values?: JsonKeyValue[] };
}

export interface JsonKeyValue {
  key: string;
  value?: JsonAnyValue;
}

export const JsonAnyValueSchema: z.ZodType<JsonAnyValue> = z.lazy(() =>
  z.object({
    stringValue: z.unknown().optional(),
    boolValue: z.unknown().optional(),
    intValue: z.unknown().optional(),
    doubleValue: z.unknown().optional(),
    bytesValue: z.unknown().optional(),
    arrayValue: z.object({ values: z.array(JsonAnyValueSchema).optional() }).optional(),
    kvlistValue: z.object({ values: z.array(JsonKeyValueSchema).optional() }).optional(),
  }),
);

export const JsonKeyValueSchema: z.ZodType<JsonKeyValue> = z.lazy(() =>
  z.object({ key: z.string(), value: JsonAnyValueSchema.optional() }),
);

const JsonAttributesSchema = z.array(JsonKeyValueSchema).optional();

export const JsonSpanSchema = z.object({
  traceId: z.string().optional(),
  spanId: z.string().optional(),
  parentSpanId: z.string().optional(),
  traceState: z.string().optional(),
  name: z.string().optional(),
  kind: z.number().int().min(0).max(5).optional(),
  startTimeUnixNano: JsonInt64Schema.optional(),
  endTimeUnixNano: JsonInt64Schema.optional(),
  attributes: JsonAttributesSchema,
  events: z
    .array(
      z.object({
        timeUnixNano: JsonInt64Schema.optional(),
        name: z.string().optional(),
        attributes: JsonAttributesSchema,
      }),
    )
    .optional(),
  links: z
    .array(
      z.object({
        traceId: z.string().optional(),
        spanId: z.string().optional(),
        traceState: z.string().optional(),
        attributes: JsonAttributesSchema,
      }),
    )
    .optional(),
  status: z
    .object({ code: z.number().int().min(0).max(2).optional(), message: z.string().optional() })
    .optional(),
});

export type JsonSpan = z.infer<typeof JsonSpanSchema>;

// Spans are checked one by one (see the JSON reader) so that one bad span
// is rejected alone instead of failing the whole request.
export const JsonTracesDataSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: JsonAttributesSchema }).optional(),
        schemaUrl: z.string().optional(),
        scopeSpans: z
          .array(
            z.object({
              scope: z
                .object({
                  name: z.string().optional(),
                  version: z.string().optional(),
                  attributes: JsonAttributesSchema,
                })
                .optional(),
              schemaUrl: z.string().optional(),
              spans: z.array(z.unknown()).optional(),
            }),
          )
          .optional(),
      }),
    )
    .optional(),
});
