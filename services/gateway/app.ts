import express, { type NextFunction, type Request, type Response } from 'express';
import type { Authenticator } from '../shared/auth/authenticator.ts';
import type { IngestIdentity } from '../shared/auth/identity.ts';
import { AuditError } from '../shared/errors.ts';
import type { IngestGuard } from '../shared/ingest-guard.ts';
import { measureJsonDepth } from '../shared/ingest-limits.ts';
import type { Logger } from '../shared/logger.ts';
import type { RateLimiter } from '../shared/rate-limiter.ts';
import { decodeTraces, encodingOfContentType, type OtlpEncoding } from '../shared/otlp/decode-traces.ts';
import { encodeExportResponseProtobuf, encodeRpcStatusProtobuf } from '../shared/otlp/protobuf.ts';
import { countSpans, summarizeRejections } from '../shared/otlp/validate.ts';
import { rejectReasonOfCode, type GatewayTelemetry } from './gateway-telemetry.ts';
import { handleLogsRequest } from './logs-handler.ts';
import type { SpanSink } from './span-sink.ts';

export interface GatewayOptions {
  sink: SpanSink;
  logger: Logger;
  maxRequestBodyBytes: number;
  retryAfterSeconds: number;
  /** Requests handled at once; more are answered 429 so memory stays bounded. */
  maxConcurrentRequests: number;
  telemetry: GatewayTelemetry;
  /** GET /healthz, /readyz and /metrics. */
  opsRoutes: express.Router;
  /** Credentials, the per-identity rate limit, request limits and redaction. */
  security: GatewaySecurity;
}

export interface GatewaySecurity {
  authenticator: Pick<Authenticator, 'authenticateIngest'>;
  rateLimiter: RateLimiter;
  guard: IngestGuard;
}

// gRPC status codes that OTLP/HTTP failure bodies carry.
const grpcCodeByHttpStatus: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

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
  const { sink, logger, telemetry } = options;
  const app = express();
  app.disable('x-powered-by');
  let inFlight = 0;

  app.use(options.opsRoutes);

  app.post(
    ['/v1/traces', '/v1/logs'],
    (request, response, next) => {
      if (encodingOfContentType(request.headers['content-type']) === null) {
        telemetry.requestRejected('unsupported_media_type');
        sendStatus(
          response,
          'json',
          415,
          `unsupported Content-Type "${request.headers['content-type'] ?? ''}"; send application/x-protobuf or application/json`,
        );
        return;
      }
      next();
    },
    // Credentials are checked before the body is read, so an unauthenticated
    // client cannot make the gateway inflate and decode anything.
    async (request, response, next) => {
      const encoding = requestEncoding(request);
      const authenticated = await options.security.authenticator.authenticateIngest(request.headers.authorization);
      if (!authenticated.ok) {
        telemetry.requestRejected('unauthenticated');
        if (authenticated.status === 401) response.set('WWW-Authenticate', 'Bearer');
        sendStatus(response, encoding, authenticated.status, authenticated.reason);
        return;
      }
      if (!options.security.rateLimiter.tryTake(authenticated.value.principal)) {
        telemetry.requestRejected('rate_limited');
        response.set('Retry-After', String(options.retryAfterSeconds));
        sendStatus(response, encoding, 429, 'this credential is over its request rate limit; retry later');
        return;
      }
      response.locals['identity'] = authenticated.value;
      if (inFlight >= options.maxConcurrentRequests) {
        telemetry.requestRejected('overloaded');
        response.set('Retry-After', String(options.retryAfterSeconds));
        sendStatus(response, requestEncoding(request), 429, 'gateway is at its concurrent request limit; retry later');
        return;
      }
      inFlight += 1;
      telemetry.requestStarted();
      response.on('close', () => {
        inFlight -= 1;
        telemetry.requestEnded();
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
      const identity = response.locals['identity'] as IngestIdentity;
      const { guard } = options.security;

      if (encoding === 'json' && measureJsonDepth(body, guard.maxJsonDepth) > guard.maxJsonDepth) {
        telemetry.requestRejected('invalid');
        sendStatus(response, encoding, 400, `JSON body nests deeper than ${guard.maxJsonDepth} levels; attribute values may nest at most INGEST_MAX_NESTING_DEPTH levels`);
        return;
      }
      if (request.path === '/v1/logs') {
        await handleLogsRequest({ sink, logger, sendStatus, guard: options.security.guard }, request, response, encoding);
        return;
      }
      const decoded = decodeTraces(body, encoding);
      if (!decoded.ok) {
        telemetry.requestRejected('undecodable', decoded.reason);
        sendStatus(response, encoding, 400, decoded.reason);
        return;
      }
      const accepted = countSpans(decoded.data);
      const rejected = decoded.rejections.length;
      const rejectionSummary = rejected > 0 ? summarizeRejections(decoded.rejections) : '';
      telemetry.spansReceived(accepted + rejected);
      telemetry.spansRejected('invalid', rejected, rejectionSummary);
      if (accepted === 0 && rejected > 0) {
        telemetry.requestRejected('invalid');
        sendStatus(response, encoding, 400, rejectionSummary);
        return;
      }
      const prepared = guard.prepare(decoded.data, identity, rejected);
      if (!prepared.ok) {
        telemetry.requestRejected(prepared.violation.httpStatus === 413 ? 'too_large' : 'invalid');
        sendStatus(response, encoding, prepared.violation.httpStatus, prepared.violation.message);
        return;
      }
      if (accepted > 0) {
        try {
          await options.sink.write(decoded.data, receivedAt, identity);
        } catch (error) {
          const overloaded = error instanceof AuditError && error.code === 'overloaded';
          telemetry.spansRejected(overloaded ? 'overloaded' : 'unavailable', accepted);
          throw error;
        }
        telemetry.spansAccepted(accepted);
      }
      sendExportResponse(response, encoding, rejected, rejectionSummary);
    },
  );

  // Exporters read JSON or protobuf status bodies, so other routes respond in
  // JSON too rather than with Express's HTML page.
  app.all(['/v1/traces', '/v1/logs'], (request, response) => {
    response.set('Allow', 'POST');
    sendStatus(response, 'json', 405, `${request.method} is not allowed on ${request.path}; send OTLP with POST`);
  });
  app.use((request, response) => {
    sendStatus(response, 'json', 404, `no route ${request.method} ${request.path}; OTLP/HTTP takes POST /v1/traces and POST /v1/logs`);
  });

  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) => {
    const encoding = requestEncoding(request);
    if (error instanceof AuditError) {
      telemetry.requestRejected(rejectReasonOfCode(error.code), error.cause ?? error);
      if (error.retryable) response.set('Retry-After', String(options.retryAfterSeconds));
      sendStatus(response, encoding, error.httpStatus, error.message);
      return;
    }
    // body-parser errors carry an HTTP status and a type.
    const parserError = error as { status?: number; type?: string; message?: string };
    if (parserError.type === 'entity.too.large') {
      telemetry.requestRejected('too_large');
      sendStatus(response, encoding, 413, `request body exceeds the limit of ${options.maxRequestBodyBytes} bytes`);
      return;
    }
    if (parserError.type === 'encoding.unsupported') {
      telemetry.requestRejected('unsupported_media_type');
      sendStatus(response, encoding, 415, `${parserError.message ?? 'unsupported Content-Encoding'}; send gzip, deflate, br, zstd or none`);
      return;
    }
    if (typeof parserError.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      telemetry.requestRejected('undecodable');
      sendStatus(response, encoding, 400, `request body could not be read: ${parserError.message ?? 'unknown error'}`);
      return;
    }
    logger.error({ err: error, path: request.path }, 'unexpected error in gateway');
    sendStatus(response, encoding, 500, 'internal error');
  });

  return app;
}
