import { decodeLogsProtobuf } from './logs-codec.ts';

/**
 * True when a body sent as traces is an OTLP logs request. Called only after
 * the body failed as traces, so the cost of a second decode falls on bad
 * requests alone.
 */
export function looksLikeLogs(body: Uint8Array, encoding: 'protobuf' | 'json'): boolean {
  if (encoding === 'json') {
    try {
      const document: unknown = JSON.parse(Buffer.from(body).toString('utf8'));
      return document !== null && typeof document === 'object' && 'resourceLogs' in document && !('resourceSpans' in document);
    } catch {
      return false;
    }
  }
  try {
    const data = decodeLogsProtobuf(body);
    return data.resourceLogs.some((resource) => resource.scopeLogs.some((scope) => scope.logRecords.length > 0));
  } catch {
    return false;
  }
}
