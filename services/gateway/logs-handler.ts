import type { Request, Response } from 'express';
import type { IngestIdentity } from '../shared/auth/identity.ts';
import type { IngestGuard } from '../shared/ingest-guard.ts';
import type { Logger } from '../shared/logger.ts';
import { countLogRecords, decodeLogs, summarizeLogRejections } from '../shared/otlp/decode-logs.ts';
import type { OtlpEncoding } from '../shared/otlp/decode-traces.ts';
import { encodeLogsResponseProtobuf } from '../shared/otlp/logs-codec.ts';
import type { SpanSink } from './span-sink.ts';

export interface LogsHandlerOptions {
  sink: SpanSink;
  /** Applies the tenant's capture policy to the records. */
  guard: IngestGuard;
  logger: Logger;
  sendStatus(response: Response, encoding: OtlpEncoding, httpStatus: number, message: string): void;
}

function sendLogsExportResponse(response: Response, encoding: OtlpEncoding, rejected: number, errorMessage: string): void {
  if (encoding === 'protobuf') {
    response.status(200).type('application/x-protobuf').send(Buffer.from(encodeLogsResponseProtobuf(rejected, errorMessage)));
  } else if (rejected === 0) {
    response.status(200).json({});
  } else {
    response.status(200).json({ partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } });
  }
}

/**
 * Handles POST /v1/logs once the request was admitted and its body read:
 * the same responses as /v1/traces, per log record instead of per span.
 */
export async function handleLogsRequest(
  options: LogsHandlerOptions,
  request: Request,
  response: Response,
  encoding: OtlpEncoding,
): Promise<void> {
  const body: Buffer = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const receivedAt = BigInt(Date.now()) * 1_000_000n;
  const identity = response.locals['identity'] as IngestIdentity;
  if (options.sink.writeLogs === undefined) {
    options.sendStatus(response, encoding, 404, 'this gateway does not store logs');
    return;
  }

  const decoded = decodeLogs(body, encoding);
  if (!decoded.ok) {
    options.logger.info({ encoding, bytes: body.length, reason: decoded.reason }, 'rejected undecodable OTLP logs body');
    options.sendStatus(response, encoding, 400, decoded.reason);
    return;
  }
  const accepted = countLogRecords(decoded.data);
  const rejected = decoded.rejections.length;
  const summary = rejected > 0 ? summarizeLogRejections(decoded.rejections) : '';
  if (accepted === 0 && rejected > 0) {
    options.sendStatus(response, encoding, 400, summary);
    return;
  }
  if (accepted > 0) {
    // The tenant's capture policy applies before anything is written, as for spans.
    const redactions = options.guard.prepareLogs(decoded.data, identity);
    if (redactions.length > 0) options.logger.info({ rules: redactions.map((record) => record.rule), records: accepted }, 'redacted log records');
    await options.sink.writeLogs(decoded.data, receivedAt, identity);
  }
  sendLogsExportResponse(response, encoding, rejected, summary);
}
