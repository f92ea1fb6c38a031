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
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function sendProblem(response: Response, problem: Problem): void {
  response.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
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
      sendProblem(response, {
        type: 'about:blank',
        title: titleByStatus[error.httpStatus] ?? 'Error',
        status: error.httpStatus,
        detail: error.message,
        instance: request.originalUrl,
      });
      return;
    }
    logger.error({ err: error, path: request.path }, 'unexpected error in API');
    sendProblem(response, {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'the server failed to answer; the error is in its log',
      instance: request.originalUrl,
    });
  };
}
