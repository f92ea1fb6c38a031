import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Authenticator } from '../shared/auth/authenticator.ts';
import { hasRole, tenantScope, type Caller, type Role } from '../shared/auth/identity.ts';
import { AuditError } from '../shared/errors.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';

// Who may call the API, and the record of what they read. Every route after
// the health checks requires credentials. Reads of sessions, searches,
// exports and evidence are logged in access_log before the response, so
// a read that could not be logged fails instead.

export type AccessAction =
  | 'session.list'
  | 'session.search'
  | 'session.read'
  | 'session.export'
  | 'session.verify'
  | 'session.evidence'
  | 'legal_hold.set'
  | 'legal_hold.release'
  | 'legal_hold.list'
  | 'token.create'
  | 'token.revoke'
  | 'token.list'
  | 'access_log.read';

export interface AccessControl {
  /** Rejects requests without valid investigator credentials with 401 or 403. */
  authenticate: RequestHandler;
  requireRole(role: Role): RequestHandler;
  /** Writes an access_log row for the request, naming the session when the route has one. */
  record(action: AccessAction | ((request: Request) => AccessAction)): RequestHandler;
}

/** Returns the authenticated caller of a request that passed `authenticate`. */
export function callerOf(response: Response): Caller {
  const caller = response.locals['caller'] as Caller | undefined;
  if (caller === undefined) throw new AuditError('unauthenticated', 'missing credentials; send Authorization: Bearer <token>');
  return caller;
}

/** Returns the tenants the caller may read, or null for all. */
export function tenantsOf(response: Response): string[] | null {
  return tenantScope(callerOf(response));
}

function sessionIdOf(params: unknown): string {
  const value = params !== null && typeof params === 'object' ? (params as Record<string, unknown>)['sessionId'] : undefined;
  return typeof value === 'string' ? value : '';
}

export function createAccessControl(options: { authenticator: Pick<Authenticator, 'authenticateCaller'>; clickhouse: ClickHouseClient }): AccessControl {
  const { authenticator, clickhouse } = options;
  return {
    authenticate: async (request: Request, response: Response, next: NextFunction) => {
      const result = await authenticator.authenticateCaller(request.headers.authorization);
      if (!result.ok) {
        if (result.status === 401) response.set('WWW-Authenticate', 'Bearer');
        throw new AuditError(result.status === 401 ? 'unauthenticated' : 'forbidden', result.reason);
      }
      response.locals['caller'] = result.value;
      next();
    },

    requireRole: (role) => (_request, response, next) => {
      const caller = callerOf(response);
      if (!hasRole(caller, role)) {
        throw new AuditError('forbidden', `this request needs the ${role} role; the credential has ${caller.role}`);
      }
      next();
    },

    record: (action) => async (request, response, next) => {
      const caller = callerOf(response);
      const queryStart = request.originalUrl.indexOf('?');
      await clickhouse.insert({
        table: 'access_log',
        values: [
          {
            Principal: caller.principal,
            Role: caller.role,
            Tenants: caller.tenants,
            Action: typeof action === 'function' ? action(request) : action,
            SessionId: sessionIdOf(request.params),
            Method: request.method,
            Path: request.path.slice(0, 2_000),
            Query: queryStart === -1 ? '' : request.originalUrl.slice(queryStart + 1, queryStart + 2_001),
          },
        ],
        format: 'JSONEachRow',
      });
      next();
    },
  };
}
