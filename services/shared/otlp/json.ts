import {
  JsonInt64Schema,
  JsonSpanSchema,
  JsonTracesDataSchema,
  type AnyValue,
  type JsonAnyValue,
  type JsonInt64,
  type JsonKeyValue,
  type KeyValue,
  type Span,
  type SpanKind,
  type SpanRejection,
  type StatusCode,
  type TracesData,
} from '../../../schemas/otlp.ts';

export class OtlpJsonError extends Error {
  override name = 'OtlpJsonError';
}

// A JSON number above 2^53 loses digits in JSON.parse unless the reviver
// reads its source text (Node 22 and later pass it as context.source). The
// reviver slows parsing, so it runs only when the body contains such a number.
const unquotedLongNumber = /[:[,]\s*-?\d{16,}/;

export function parseJsonKeepingLargeIntegers(text: string): unknown {
  if (!unquotedLongNumber.test(text)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source && /^-?\d+$/.test(context.source)) {
      return BigInt(context.source);
    }
    return value;
  });
}

export function int64ToBigInt(value: JsonInt64 | undefined): bigint {
  if (value === undefined) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return BigInt(value);
  return (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
}

function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Converts one OTLP/JSON AnyValue; a member of the wrong JSON type becomes the closest value instead of an error. */
function fromJsonValue(value: JsonAnyValue | undefined): AnyValue {
  if (value === undefined || value === null) return {};
  if (value.stringValue !== undefined && value.stringValue !== null) return { stringValue: scalarText(value.stringValue) };
  if (value.boolValue !== undefined && value.boolValue !== null) {
    if (typeof value.boolValue === 'boolean') return { boolValue: value.boolValue };
    if (value.boolValue === 'true' || value.boolValue === 'false') return { boolValue: value.boolValue === 'true' };
    return { stringValue: scalarText(value.boolValue) };
  }
  if (value.intValue !== undefined && value.intValue !== null) {
    const parsed = JsonInt64Schema.safeParse(value.intValue);
    if (parsed.success) return { intValue: BigInt.asIntN(64, int64ToBigInt(parsed.data)) };
    return { stringValue: scalarText(value.intValue) };
  }
  if (value.doubleValue !== undefined && value.doubleValue !== null) {
    const number = typeof value.doubleValue === 'number' ? value.doubleValue : Number(value.doubleValue);
    // "NaN", "Infinity" and "-Infinity" are the proto3 JSON spellings of those doubles.
    if (typeof value.doubleValue === 'number' || !Number.isNaN(number) || value.doubleValue === 'NaN') return { doubleValue: number };
    return { stringValue: scalarText(value.doubleValue) };
  }
  if (value.bytesValue !== undefined && value.bytesValue !== null) {
    return typeof value.bytesValue === 'string' ? { bytesValue: Buffer.from(value.bytesValue, 'base64') } : { stringValue: scalarText(value.bytesValue) };
  }
  if (value.arrayValue !== undefined) return { arrayValue: { values: (value.arrayValue.values ?? []).map(fromJsonValue) } };
  if (value.kvlistValue !== undefined) {
    return { kvlistValue: { values: fromJsonAttributes(value.kvlistValue.values) } };
  }
  return {};
}

export function fromJsonAttributes(attributes: JsonKeyValue[] | undefined): KeyValue[] {
  return (attributes ?? []).map((attribute) => ({ key: attribute.key, value: fromJsonValue(attribute.value) }));
}

const hexPattern = /^[0-9a-fA-F]*$/;

/** Lowercases a hex id, or returns the problem when it is not hex (base64 is the usual mistake). */
export function readJsonId(value: string | undefined, field: string): { id: string } | { problem: string } {
  if (value === undefined || value === '') return { id: '' };
  if (!hexPattern.test(value)) {
    return { problem: `${field} is not hex; OTLP/JSON encodes trace and span ids as hex, not base64` };
  }
  return { id: value.toLowerCase() };
}

/** Summarizes the first schema issues, naming `subject` where an issue concerns the checked value as a whole. */
export function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }, subject: string): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || subject}: ${issue.message}`)
    .join('; ');
}

function fromJsonSpan(raw: unknown): Span | { problem: string; traceId: string; spanId: string } {
  const parsed = JsonSpanSchema.safeParse(raw);
  const looseIds = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const fallbackTraceId = typeof looseIds['traceId'] === 'string' ? looseIds['traceId'] : '';
  const fallbackSpanId = typeof looseIds['spanId'] === 'string' ? looseIds['spanId'] : '';
  if (!parsed.success) {
    return { problem: describeIssues(parsed.error, 'span'), traceId: fallbackTraceId, spanId: fallbackSpanId };
  }
  const span = parsed.data;
  const traceId = readJsonId(span.traceId, 'traceId');
  const spanId = readJsonId(span.spanId, 'spanId');
  const parentSpanId = readJsonId(span.parentSpanId, 'parentSpanId');
  for (const id of [traceId, spanId, parentSpanId]) {
    if ('problem' in id) return { problem: id.problem, traceId: fallbackTraceId, spanId: fallbackSpanId };
  }
  const links = [];
  for (const link of span.links ?? []) {
    const linkTraceId = readJsonId(link.traceId, 'links.traceId');
    const linkSpanId = readJsonId(link.spanId, 'links.spanId');
    if ('problem' in linkTraceId) return { problem: linkTraceId.problem, traceId: fallbackTraceId, spanId: fallbackSpanId };
    if ('problem' in linkSpanId) return { problem: linkSpanId.problem, traceId: fallbackTraceId, spanId: fallbackSpanId };
    links.push({
      traceId: linkTraceId.id,
      spanId: linkSpanId.id,
      traceState: link.traceState ?? '',
      attributes: fromJsonAttributes(link.attributes),
    });
  }
  return {
    traceId: 'id' in traceId ? traceId.id : '',
    spanId: 'id' in spanId ? spanId.id : '',
    parentSpanId: 'id' in parentSpanId ? parentSpanId.id : '',
    traceState: span.traceState ?? '',
    name: span.name ?? '',
    kind: (span.kind ?? 0) as SpanKind,
    startTimeUnixNano: int64ToBigInt(span.startTimeUnixNano),
    endTimeUnixNano: int64ToBigInt(span.endTimeUnixNano),
    attributes: fromJsonAttributes(span.attributes),
    events: (span.events ?? []).map((event) => ({
      timeUnixNano: int64ToBigInt(event.timeUnixNano),
      name: event.name ?? '',
      attributes: fromJsonAttributes(event.attributes),
    })),
    links,
    status: { code: (span.status?.code ?? 0) as StatusCode, message: span.status?.message ?? '' },
  };
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest. Throws OtlpJsonError when
 * the body is not JSON or its outer structure is wrong; a span whose own
 * fields are wrong is returned as a rejection and the other spans are kept.
 */
export function decodeTracesJson(text: string): { data: TracesData; rejections: SpanRejection[] } {
  let document: unknown;
  try {
    document = parseJsonKeepingLargeIntegers(text);
  } catch (error) {
    throw new OtlpJsonError(`body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = JsonTracesDataSchema.safeParse(document);
  if (!parsed.success) {
    throw new OtlpJsonError(`body is not an OTLP ExportTraceServiceRequest: ${describeIssues(parsed.error, 'body')}`);
  }

  const rejections: SpanRejection[] = [];
  const data: TracesData = {
    resourceSpans: (parsed.data.resourceSpans ?? []).map((resourceSpans) => ({
      resource: { attributes: fromJsonAttributes(resourceSpans.resource?.attributes) },
      schemaUrl: resourceSpans.schemaUrl ?? '',
      scopeSpans: (resourceSpans.scopeSpans ?? []).map((scopeSpans) => {
        const spans: Span[] = [];
        for (const raw of scopeSpans.spans ?? []) {
          const span = fromJsonSpan(raw);
          if ('problem' in span) rejections.push({ traceId: span.traceId, spanId: span.spanId, reason: span.problem });
          else spans.push(span);
        }
        return {
          scope: {
            name: scopeSpans.scope?.name ?? '',
            version: scopeSpans.scope?.version ?? '',
            attributes: fromJsonAttributes(scopeSpans.scope?.attributes),
          },
          schemaUrl: scopeSpans.schemaUrl ?? '',
          spans,
        };
      }),
    })),
  };
  return { data, rejections };
}
