import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import type { Problem } from '../../schemas/api.ts';
import { AuditError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';

const titleByStatus: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function sendProblem(response: Response, problem: Problem): void {
  response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
}

function plainProblem(request: Request, status: number, detail: string): Problem {
  return { type: 'about:blank', title: titleByStatus[status] ?? 'Error', status, detail, instance: request.originalUrl };
}

/** The one place that turns errors into RFC 9457 problem-details responses. */
export function problemHandler(logger: Logger) {
  return (error: unknown, request: Request, response: Response, _next: NextFunction): void => {
    if (error instanceof z.ZodError) {
      sendProblem(response, {
        type: 'about:blank',
        title: titleByStatus[400] ?? 'Bad Request',
        status: 400,
        detail: 'the request parameters are invalid',
        instance: request.originalUrl,
        errors: error.issues.map((issue) => ({
          field: issue.path.map(String).join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : ''),
          message: issue.message,
        })),
      });
      return;
    }
    if (error instanceof AuditError) {
      if (error.httpStatus >= 500) logger.error({ err: error, path: request.path, ...error.context }, 'request failed');
      sendProblem(response, plainProblem(request, error.httpStatus, error.message));
      return;
    }
    const rejected = clientError(error);
    if (rejected !== null) {
      // The request was at fault, so this is no server error. The parser's
      // own message can quote the body, which may hold prompts, so neither
      // the log nor the response repeats it.
      logger.debug({ path: request.path, status: rejected.status, reason: rejected.reason }, 'rejected malformed request');
      sendProblem(response, plainProblem(request, rejected.status, rejected.detail));
      return;
    }
    logger.error({ err: error, path: request.path }, 'unexpected error in API');
    sendProblem(response, plainProblem(request, 500, 'the server failed to answer; the error is in its log'));
  };
}

interface ClientError {
  status: number;
  reason: string;
  detail: string;
}

/**
 * Recognizes the 4xx errors that Express and body-parser raise before a
 * handler runs: a path with an invalid percent escape, a body that is not
 * valid JSON, too large, or in an unsupported charset or encoding.
 */
function clientError(error: unknown): ClientError | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, type } = error as { status?: unknown; type?: unknown };
  if (typeof status !== 'number' || status < 400 || status > 499) return null;
  if (error instanceof URIError) {
    return { status, reason: 'path.decode.failed', detail: 'the request path contains an invalid percent-encoded character' };
  }
  switch (type) {
    case 'entity.parse.failed':
      return { status, reason: type, detail: 'the request body is not valid JSON' };
    case 'entity.too.large':
      return { status, reason: type, detail: 'the request body is larger than the API accepts' };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status, reason: type, detail: 'the request body uses an unsupported charset or content encoding' };
    default:
      return { status, reason: typeof type === 'string' ? type : 'client.error', detail: 'the request is malformed' };
  }
}
