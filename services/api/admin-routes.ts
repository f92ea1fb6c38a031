import express from 'express';
import { z } from 'zod';
import { ROLES } from '../shared/auth/identity.ts';
import { createAccessToken, listAccessTokens, revokeAccessToken } from '../shared/auth/token-store.ts';
import { AuditError } from '../shared/errors.ts';
import { changeLegalHold, listLegalHolds, tenantsOfSession, type HeldSessions } from '../shared/retention/legal-hold.ts';
import { TenantNameSchema } from '../shared/security-config.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { callerOf, tenantsOf, type AccessControl } from './access-control.ts';
import { parseRfc3339 } from './time-format.ts';

// Administration: credentials, the access log and legal holds. All routes
// need the admin role, and every change is itself written to the access log.

export interface AdminRouteOptions {
  clickhouse: ClickHouseClient;
  access: AccessControl;
  heldSessions: HeldSessions;
}

export const NewTokenSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('ingest'),
      tenant: TenantNameSchema,
      agent: z.string().max(256).default(''),
      description: z.string().max(1_000).default(''),
    })
    .strict(),
  z
    .object({
      kind: z.literal('investigator'),
      role: z.enum(ROLES),
      tenants: z.array(z.union([TenantNameSchema, z.literal('*')])).min(1),
      description: z.string().max(1_000).default(''),
    })
    .strict(),
]);

export const AccessLogQuerySchema = z
  .object({
    principal: z.string().min(1).optional(),
    action: z.string().min(1).optional(),
    sessionId: z.string().min(1).optional(),
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
  })
  .strict();

export const LegalHoldBodySchema = z.object({ reason: z.string().min(1).max(2_000) }).strict();

interface AccessLogRow {
  TimeMs: string;
  Principal: string;
  Role: string;
  Tenants: string[];
  Action: string;
  SessionId: string;
  Method: string;
  Path: string;
  Query: string;
}

export function createAdminRouter(options: AdminRouteOptions): express.Router {
  const { clickhouse, access } = options;
  const router = express.Router();
  const admin = access.requireRole('admin');

  router.post('/v1/admin/tokens', admin, express.json({ limit: '16kb' }), access.record('token.create'), async (request, response) => {
    const spec = NewTokenSchema.parse(request.body);
    const created = await createAccessToken(clickhouse, { ...spec, createdBy: callerOf(response).principal });
    // The token is shown in this response only; the store keeps its hash.
    response.status(201).json({ token: created.token, ...created.record });
  });

  router.get('/v1/admin/tokens', admin, access.record('token.list'), async (_request, response) => {
    response.json({ tokens: await listAccessTokens(clickhouse) });
  });

  router.delete('/v1/admin/tokens/:tokenId', admin, access.record('token.revoke'), async (request, response) => {
    const tokenId = String(request.params['tokenId'] ?? '');
    if (!(await revokeAccessToken(clickhouse, tokenId))) throw new AuditError('not_found', `token "${tokenId}" was not found`);
    response.status(204).end();
  });

  router.get('/v1/admin/access-log', admin, access.record('access_log.read'), async (request, response) => {
    const query = AccessLogQuerySchema.parse(request.query);
    const conditions: string[] = [];
    const params: Record<string, unknown> = { limit: query.limit };
    if (query.principal !== undefined) {
      conditions.push('Principal = {principal:String}');
      params['principal'] = query.principal;
    }
    if (query.action !== undefined) {
      conditions.push('Action = {action:String}');
      params['action'] = query.action;
    }
    if (query.sessionId !== undefined) {
      conditions.push('SessionId = {sessionId:String}');
      params['sessionId'] = query.sessionId;
    }
    if (query.from !== undefined) {
      conditions.push('Time >= fromUnixTimestamp64Nano({from:Int64})');
      params['from'] = parseRfc3339(query.from).toString();
    }
    if (query.to !== undefined) {
      conditions.push('Time < fromUnixTimestamp64Nano({to:Int64})');
      params['to'] = parseRfc3339(query.to).toString();
    }
    const result = await clickhouse.query({
      query: `SELECT toString(toUnixTimestamp64Milli(Time)) AS TimeMs, Principal, Role, Tenants, Action, SessionId, Method, Path, Query
              FROM access_log ${conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : ''}
              ORDER BY Time DESC LIMIT {limit:UInt32}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    const rows = await result.json<AccessLogRow>();
    response.json({
      entries: rows.map((row) => ({
        time: new Date(Number(row.TimeMs)).toISOString(),
        principal: row.Principal,
        role: row.Role,
        tenants: row.Tenants,
        action: row.Action,
        sessionId: row.SessionId === '' ? null : row.SessionId,
        method: row.Method,
        path: row.Path,
        query: row.Query,
      })),
    });
  });

  router.get('/v1/admin/legal-holds', admin, access.record('legal_hold.list'), async (_request, response) => {
    response.json({ holds: await listLegalHolds(clickhouse, tenantsOf(response)) });
  });

  const changeHold = (active: boolean) => async (request: express.Request, response: express.Response) => {
    const sessionId = String(request.params['sessionId'] ?? '');
    const reason = active ? LegalHoldBodySchema.parse(request.body).reason : '';
    const tenants = await tenantsOfSession(clickhouse, sessionId, tenantsOf(response));
    if (tenants.length === 0) throw new AuditError('not_found', `session "${sessionId}" was not found`);
    for (const tenant of tenants) {
      await changeLegalHold(clickhouse, { tenant, sessionId, active, reason, changedBy: callerOf(response).principal });
    }
    await options.heldSessions.reload();
    response.json({ sessionId, tenants, active });
  };

  router.put('/v1/sessions/:sessionId/legal-hold', admin, express.json({ limit: '16kb' }), access.record('legal_hold.set'), changeHold(true));
  router.delete('/v1/sessions/:sessionId/legal-hold', admin, access.record('legal_hold.release'), changeHold(false));

  return router;
}
