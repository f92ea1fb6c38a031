import express from 'express';
import { z } from 'zod';
import { SessionListQuerySchema, type TimelineResponse } from '../../schemas/api.ts';
import { AuditError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { problemHandler } from './problem.ts';
import { listSessions, readSessionEvents, type SessionCursor } from './session-repository.ts';
import { parseRfc3339 } from './time-format.ts';
import { buildTimeline } from './timeline.ts';

export interface ApiOptions {
  clickhouse: ClickHouseClient;
  logger: Logger;
}

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
export function createApiApp({ clickhouse, logger }: ApiOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  app.get('/v1/sessions', async (request, response) => {
    const query = SessionListQuerySchema.parse(request.query);
    const page = await listSessions(clickhouse, {
      limit: query.limit,
      agent: query.agent,
      principal: query.principal,
      tool: query.tool,
      fromUnixNano: query.from === undefined ? undefined : parseRfc3339(query.from),
      toUnixNano: query.to === undefined ? undefined : parseRfc3339(query.to),
      cursor: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
    response.json({ sessions: page.sessions, nextCursor: page.next === null ? null : encodeCursor(page.next) });
  });

  app.get('/v1/sessions/:sessionId/timeline', async (request, response) => {
    const { sessionId } = request.params;
    const events = await readSessionEvents(clickhouse, sessionId);
    if (events.length === 0) throw new AuditError('not_found', `session "${sessionId}" was not found`);
    const body: TimelineResponse = {
      sessionId,
      traceIds: [...new Set(events.map((event) => event.traceId))].sort(),
      steps: buildTimeline(events),
    };
    response.json(body);
  });

  app.use((request, _response, next) => {
    next(new AuditError('not_found', `no route for ${request.method} ${request.path}`));
  });
  app.use(problemHandler(logger));
  return app;
}
