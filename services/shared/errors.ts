// One error model for the services. Each error carries a code from a closed
// list, the HTTP status it maps to, and whether retrying can help. The API's
// error middleware turns it into an RFC 9457 problem-details body.

export type ErrorCode =
  | 'invalid_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'undecodable_body'
  | 'overloaded'
  | 'unavailable'
  | 'internal';

const httpStatusByCode: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  unsupported_media_type: 415,
  payload_too_large: 413,
  undecodable_body: 400,
  overloaded: 429,
  unavailable: 503,
  internal: 500,
};

export interface AuditErrorOptions {
  cause?: unknown;
  retryable?: boolean;
  /** Ids an operator needs: session, trace, topic, partition, offset, query id. */
  context?: Record<string, string | number>;
}

export class AuditError extends Error {
  override name = 'AuditError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly context: Record<string, string | number>;

  constructor(code: ErrorCode, message: string, options: AuditErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? (code === 'overloaded' || code === 'unavailable');
    this.context = options.context ?? {};
  }

  get httpStatus(): number {
    return httpStatusByCode[this.code];
  }
}
