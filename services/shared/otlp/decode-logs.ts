import type { LogRejection, LogsData } from '../../../schemas/otlp-logs.ts';
import type { OtlpEncoding } from './decode-traces.ts';
import { checkSpanId, checkTraceId } from './ids.ts';
import { decodeLogsJson, decodeLogsProtobuf } from './logs-codec.ts';
import { decodeTracesJson } from './json.ts';
import { decodeTracesProtobuf } from './protobuf.ts';

export type DecodeLogsResult = { ok: true; data: LogsData; rejections: LogRejection[] } | { ok: false; reason: string };

const tracesOnLogsPath = 'body is an OTLP traces request (ExportTraceServiceRequest), not logs; send traces to /v1/traces';

function looksLikeTraces(body: Uint8Array, encoding: OtlpEncoding): boolean {
  try {
    const data = encoding === 'json' ? decodeTracesJson(Buffer.from(body).toString('utf8')).data : decodeTracesProtobuf(body);
    return data.resourceSpans.some((resource) => resource.scopeSpans.some((scope) => scope.spans.some((span) => span.traceId !== '')));
  } catch {
    return false;
  }
}

/** Returns why a record's ids are invalid; a record may have no ids, because not every event belongs to a span. */
function checkRecordIds(traceId: string, spanId: string): string | null {
  if (traceId === '' && spanId === '') return null;
  if (traceId === '') return 'spanId is set but traceId is missing';
  return checkTraceId(traceId) ?? (spanId === '' ? null : checkSpanId(spanId));
}

/** Decodes an OTLP logs body and separates the records that can be stored from the ones that cannot. */
export function decodeLogs(body: Uint8Array, encoding: OtlpEncoding): DecodeLogsResult {
  let decoded: { data: LogsData; rejections: LogRejection[] };
  try {
    decoded =
      encoding === 'protobuf'
        ? { data: decodeLogsProtobuf(body), rejections: [] }
        : decodeLogsJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    if (looksLikeTraces(body, encoding)) return { ok: false, reason: tracesOnLogsPath };
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `${encoding === 'protobuf' ? 'protobuf' : 'JSON'} body did not decode: ${detail}` };
  }
  const rejections = [...decoded.rejections];
  let keptRecords = 0;
  for (const resourceLogs of decoded.data.resourceLogs) {
    for (const scopeLogs of resourceLogs.scopeLogs) {
      scopeLogs.logRecords = scopeLogs.logRecords.filter((record) => {
        const problem = checkRecordIds(record.traceId, record.spanId);
        if (problem !== null) rejections.push({ reason: problem });
        return problem === null;
      });
      keptRecords += scopeLogs.logRecords.length;
    }
  }
  if (keptRecords === 0 && rejections.length === 0 && looksLikeTraces(body, encoding)) return { ok: false, reason: tracesOnLogsPath };
  return { ok: true, data: decoded.data, rejections };
}

export function countLogRecords(data: LogsData): number {
  let count = 0;
  for (const resourceLogs of data.resourceLogs) for (const scopeLogs of resourceLogs.scopeLogs) count += scopeLogs.logRecords.length;
  return count;
}

export function summarizeLogRejections(rejections: readonly LogRejection[]): string {
  const counts = new Map<string, number>();
  for (const rejection of rejections) counts.set(rejection.reason, (counts.get(rejection.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} log record(s) rejected: ${reason}`).join('; ');
}
