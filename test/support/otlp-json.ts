import type { AnyValue, KeyValue, TracesData } from '../../schemas/otlp.ts';

// Renders TracesData as OTLP/JSON the way OpenTelemetry exporters send it:
// hex ids, 64-bit integers as decimal strings, enums as integers.

function valueToJson(value: AnyValue): unknown {
  if ('intValue' in value) return { intValue: value.intValue.toString() };
  if ('bytesValue' in value) return { bytesValue: Buffer.from(value.bytesValue).toString('base64') };
  if ('arrayValue' in value) return { arrayValue: { values: value.arrayValue.values.map(valueToJson) } };
  if ('kvlistValue' in value) return { kvlistValue: { values: attributesToJson(value.kvlistValue.values) } };
  return value;
}

function attributesToJson(attributes: KeyValue[]): unknown[] {
  return attributes.map(({ key, value }) => ({ key, value: valueToJson(value) }));
}

export function toOtlpJson(data: TracesData): string {
  return JSON.stringify({
    resourceSpans: data.resourceSpans.map((resourceSpans) => ({
      resource: { attributes: attributesToJson(resourceSpans.resource.attributes) },
      scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => ({
        scope: { name: scopeSpans.scope.name, version: scopeSpans.scope.version },
        spans: scopeSpans.spans.map((span) => ({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId,
          name: span.name,
          kind: span.kind,
          startTimeUnixNano: span.startTimeUnixNano.toString(),
          endTimeUnixNano: span.endTimeUnixNano.toString(),
          attributes: attributesToJson(span.attributes),
          status: span.status,
        })),
      })),
    })),
  });
}
