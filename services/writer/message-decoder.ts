import type { KafkaMessage } from 'kafkajs';
import { EnvelopeHeadersSchema } from '../../schemas/kafka-envelope.ts';
import type { SpanRejection, TracesData } from '../../schemas/otlp.ts';
import { decodeTraces, sniffEncoding, type OtlpEncoding } from '../shared/otlp/decode-traces.ts';

export type DecodedMessage =
  | { ok: true; data: TracesData; rejections: SpanRejection[] }
  | { ok: false; reason: string };

export function headersAsStrings(message: KafkaMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    if (value === undefined) continue;
    headers[key] = (Array.isArray(value) ? value[0] : value)?.toString() ?? '';
  }
  return headers;
}

/**
 * Decodes one message from the gateway's topic (an envelope header marks it)
 * or from a topic fed by the OpenTelemetry Collector's Kafka exporter, whose
 * messages carry OTLP protobuf or OTLP/JSON with no headers of ours.
 */
export function decodeSpanMessage(
  message: KafkaMessage,
  collectorEncoding: 'auto' | 'otlp_proto' | 'otlp_json',
): DecodedMessage {
  if (message.value === null || message.value.length === 0) return { ok: false, reason: 'message has no value' };
  const headers = headersAsStrings(message);

  let encoding: OtlpEncoding;
  if ('audit.envelope-version' in headers) {
    const envelope = EnvelopeHeadersSchema.safeParse(headers);
    if (!envelope.success) {
      const problems = envelope.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      return { ok: false, reason: `invalid envelope headers: ${problems.join('; ')}` };
    }
    encoding = 'protobuf';
  } else if (collectorEncoding === 'otlp_proto') {
    encoding = 'protobuf';
  } else if (collectorEncoding === 'otlp_json') {
    encoding = 'json';
  } else {
    encoding = sniffEncoding(message.value);
  }
  return decodeTraces(message.value, encoding);
}
