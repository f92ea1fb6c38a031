import type { SpanRejection, TracesData } from '../../../schemas/otlp.ts';
import { decodeTracesJson } from './json.ts';
import { decodeTracesProtobuf } from './protobuf.ts';
import { looksLikeLogs } from './logs-sniff.ts';
import { countSpans, partitionValidSpans } from './validate.ts';

const logsOnTracesPath =
  'body is an OTLP logs request (ExportLogsServiceRequest), not traces; send logs to /v1/logs';

export type OtlpEncoding = 'protobuf' | 'json';

export type DecodeResult =
  | { ok: true; data: TracesData; rejections: SpanRejection[] }
  | { ok: false; reason: string };

/** Maps a Content-Type header to an OTLP encoding, ignoring case and parameters such as charset. */
export function encodingOfContentType(contentType: string | undefined): OtlpEncoding | null {
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf' || mediaType === 'application/protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return null;
}

/** Guesses the encoding of a message without a content type: OTLP/JSON is an object, protobuf never starts with `{`. */
export function sniffEncoding(body: Uint8Array): OtlpEncoding {
  for (const byte of body) {
    if (byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09) continue;
    return byte === 0x7b ? 'json' : 'protobuf';
  }
  return 'protobuf';
}

/**
 * Decodes an OTLP trace body and separates the spans that can be stored from
 * the ones that cannot. `ok: false` means the body as a whole did not decode.
 */
export function decodeTraces(body: Uint8Array, encoding: OtlpEncoding): DecodeResult {
  let decoded: { data: TracesData; rejections: SpanRejection[] };
  try {
    decoded =
      encoding === 'protobuf'
        ? { data: decodeTracesProtobuf(body), rejections: [] }
        : decodeTracesJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    // protobufjs stops at 100 nested messages. The field numbers of logs and
    // traces collide, so such a body can still pass for logs; the depth is
    // the cause to report.
    if (detail === 'max depth exceeded') {
      return { ok: false, reason: 'protobuf body did not decode: values are nested deeper than the decoder allows' };
    }
    if (looksLikeLogs(body, encoding)) return { ok: false, reason: logsOnTracesPath };
    return { ok: false, reason: `${encoding === 'protobuf' ? 'protobuf' : 'JSON'} body did not decode: ${detail}` };
  }
  // Field numbers of logs and traces collide, so a logs body can decode as
  // spans without ids, or as OTLP/JSON with no resourceSpans at all.
  if (countSpans(decoded.data) + decoded.rejections.length === 0 && looksLikeLogs(body, encoding)) {
    return { ok: false, reason: logsOnTracesPath };
  }
  const checked = partitionValidSpans(decoded.data);
  if (checked.rejections.length > 0 && countSpans(checked.data) === 0 && looksLikeLogs(body, encoding)) {
    return { ok: false, reason: logsOnTracesPath };
  }
  return { ok: true, data: checked.data, rejections: [...decoded.rejections, ...checked.rejections] };
}
