import express, { type NextFunction, type Request, type Response } from 'express';
import { AuditError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { decodeTraces, encodingOfContentType, type OtlpEncoding } from '../shared/otlp/decode-traces.ts';
import { encodeExportResponseProtobuf, encodeRpcStatusProtobuf } from '../shared/otlp/protobuf.ts';
import { countSpans, summarizeRejections } from '../shared/otlp/validate.ts';
import type { SpanSink } from './span-sink.ts';

export interface GatewayOptions {
  sink: SpanSink;
  logger: Logger;
  maxRequestBodyBytes: number;
  retryAfterSeconds: number;
  /** Requests handled at once; more are answered 429 so memory stays bounded. */
  maxConcurrentRequests: number;
}

// gRPC status codes that OTLP/HTTP failure bodies carry.
const grpcCodeByHttpStatus: Record<number, number> = { 400: 3, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

function sendStatus(response: Response, encoding: OtlpEncoding, httpStatus: number, message: string): void {
  const code = grpcCodeByHttpStatus[httpStatus] ?? 2;
  if (encoding === 'protobuf') {
    response.status(httpStatus).type('application/x-protobuf').send(Buffer.from(encodeRpcStatusProtobuf(code, message)));
  } else {
    response.status(httpStatus).json({ code, message });
  }
}

function sendExportResponse(response: Response, encoding: OtlpEncoding, rejectedSpans: number, errorMessage: string): void {
  if (encoding === 'protobuf') {
    const body = encodeExportResponseProtobuf(rejectedSpans, errorMessage);
    response.status(200).type('application/x-protobuf').send(Buffer.from(body));
  } else if (rejectedSpans === 0) {
    response.status(200).json({});
  } else {
    // proto3 JSON writes int64 as a decimal string.
    response.status(200).json({ partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } });
  }
}

function requestEncoding(request: Request): OtlpEncoding {
  return encodingOfContentType(request.headers['content-type']) ?? 'json';
}

/** Builds the OTLP/HTTP ingestion app; the caller decides where it listens. */
export function createGatewayApp(options: GatewayOptions): express.Express {
  const { sink, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  let inFlight = 0;

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.post(
    '/v1/traces',
    (request, response, next) => {
      if (encodingOfContentType(request.headers['content-type']) === null) {
        sendStatus(
          response,
          'json',
          415,
          `unsupported Content-Type "${request.headers['content-type'] ?? ''}"; send application/x-protobuf or application/json`,
        );
        return;
      }
      if (inFlight >= options.maxConcurrentRequests) {
        response.set('Retry-After', String(options.retryAfterSeconds));
        sendStatus(response, requestEncoding(request), 429, 'gateway is at its concurrent request limit; retry later');
        return;
      }
      inFlight += 1;
      response.on('close', () => {
        inFlight -= 1;
      });
      next();
    },
    // body-parser inflates gzip and deflate bodies and applies the limit to
    // the inflated size, so a small compressed body cannot expand without bound.
    express.raw({ type: () => true, limit: options.maxRequestBodyBytes, inflate: true }),
    async (request, response) => {
      const encoding = requestEncoding(request);
      const body: Buffer = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const receivedAt = BigInt(Date.now()) * 1_000_000n;

      const decoded = decodeTraces(body, encoding);
      if (!decoded.ok) {
        logger.info({ encoding, bytes: body.length, reason: decoded.reason }, 'rejected undecodable OTLP body');
        sendStatus(response, encoding, 400, decoded.reason);
        return;
      }
      const accepted = countSpans(decoded.data);
      const rejected = decoded.rejections.length;
      if (accepted === 0 && rejected > 0) {
        const message = summarizeRejections(decoded.rejections);
        logger.info({ encoding, rejected }, 'rejected OTLP request with no valid span');
        sendStatus(response, encoding, 400, message);
        return;
      }
      if (accepted > 0) await options.sink.write(decoded.data, receivedAt);
      if (rejected > 0) logger.info({ encoding, accepted, rejected }, 'accepted OTLP request in part');
      sendExportResponse(response, encoding, rejected, rejected > 0 ? summarizeRejections(decoded.rejections) : '');
    },
  );

  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const encoding = requestEncoding(request);
    if (error instanceof AuditError) {
      if (error.retryable) response.set('Retry-After', String(options.retryAfterSeconds));
      sendStatus(response, encoding, error.httpStatus, error.message);
      return;
    }
    // body-parser errors carry an HTTP status and a type.
    const parserError = error as { status?: number; type?: string; message?: string };
    if (parserError.type === 'entity.too.large') {
      sendStatus(response, encoding, 413, `request body exceeds the limit of ${options.maxRequestBodyBytes} bytes`);
      return;
    }
    if (parserError.type === 'encoding.unsupported') {
      sendStatus(response, encoding, 415, `${parserError.message ?? 'unsupported Content-Encoding'}; send gzip, deflate or none`);
      return;
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      sendStatus(response, encoding, 400, `request body could not be read: ${parserError.message ?? 'unknown error'}`);
      return;
    }
    logger.error({ err: error, path: request.path }, 'unexpected error in gateway');
    sendStatus(response, encoding, 500, 'internal error');
  });

  return app;
}
