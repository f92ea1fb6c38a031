import express from 'express';
import { z } from 'zod';
import { SessionListQuerySchema, TimelineQuerySchema } from '../../schemas/api.ts';
import { AuditError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import type { AccessControl } from './access-control.ts';
import { problemHandler } from './problem.ts';
import type { Policy } from '../shared/policy.ts';
import type { SessionCursor } from './session-repository.ts';
import { assembleTimeline } from './session-timeline.ts';
import { createInvestigationRouter } from './investigation-routes.ts';
import { openApiDocument } from './openapi.ts';
import { searchSessions } from './session-search.ts';
import { enterTenantScope } from './tenant-scope.ts';
import { parseRfc3339 } from './time-format.ts';
import { createUiRouter } from './ui/ui-router.ts';

export interface ApiOptions {
  clickhouse: ClickHouseClient;
  /** The policy the findings are checked against. */
  policy: Policy;
  logger: Logger;
  /** GET /healthz, /readyz and /metrics. */
  opsRoutes: express.Router;
  /** Credentials, roles and the access log; the clickhouse client must be tenant-scoped (tenant-scope.ts). */
  access: AccessControl;
  /** Evidence and administration routes. */
  securityRoutes: express.Router;
}

/** A session list with any filter counts as a search in the access log. */
const listAction = (request: express.Request) =>
  Object.keys(request.query).some((name) => name !== 'limit' && name !== 'cursor') ? 'session.search' : 'session.list';

const CursorSchema = z.object({ s: z.string().regex(/^\d+$/), id: z.string() });

function encodeCursor(cursor: SessionCursor): string {
  return Buffer.from(JSON.stringify({ s: cursor.startUnixNano.toString(), id: cursor.sessionId })).toString('base64url');
}

function decodeCursor(text: string): SessionCursor {
  try {
    const parsed = CursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return { startUnixNano: BigInt(parsed.s), sessionId: parsed.id };
  } catch {
    throw new AuditError('invalid_request', 'cursor is invalid; pass nextCursor from a previous response unchanged');
  }
}

/** Builds the timeline API app; the caller decides where it listens. */
export function createApiApp({ clickhouse, policy, logger, opsRoutes, access, securityRoutes }: ApiOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(opsRoutes);
  // The investigator pages hold no data: they fetch it from /v1 with the investigator's token.
  app.use(createUiRouter());
  // Everything below needs credentials and reads only the caller's tenants.
  app.use(access.authenticate, enterTenantScope, securityRoutes);

  // The access log entry of a route is written by a handler registered before it, which passes on.
  app.get('/v1/sessions', access.record(listAction));
  app.get('/v1/sessions', async (request, response) => {
    const query = SessionListQuerySchema.parse(request.query);
    const filter = {
      limit: query.limit,
      agent: query.agent,
      principal: query.principal,
      tool: query.tool,
      resource: query.resource,
      approval: query.approval,
      fromUnixNano: query.from === undefined ? undefined : parseRfc3339(query.from),
      toUnixNano: query.to === undefined ? undefined : parseRfc3339(query.to),
      cursor: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    };
    const page = await searchSessions(clickhouse, filter, query.finding, policy);
    response.json({
      sessions: page.sessions,
      nextCursor: page.next === null ? null : encodeCursor(page.next),
      ...(page.scan ? { scan: page.scan } : {}),
    });
  });

  app.get('/v1/sessions/:sessionId/timeline', access.record('session.read'));
  app.get('/v1/sessions/:sessionId/timeline', async (request, response) => {
    const { sessionId } = request.params;
    const { content } = TimelineQuerySchema.parse(request.query);
    const body = await assembleTimeline(clickhouse, sessionId, policy, { fullContent: content === 'full' });
    if (body === null) throw new AuditError('not_found', `session "${sessionId}" was not found`);
    response.json(body);
  });

  app.get('/v1/sessions/:sessionId/export', access.requireRole('investigator'), access.record('session.export'));
  app.use(createInvestigationRouter(clickhouse, policy));
  app.get('/openapi.json', (_request, response) => {
    response.json(openApiDocument());
  });

  app.use((request, _response, next) => {
    next(new AuditError('not_found', `no route for ${request.method} ${request.path}`));
  });
  app.use(problemHandler(logger));
  return app;
}
