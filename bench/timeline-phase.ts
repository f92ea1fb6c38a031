import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import { readSessionEvents } from '../services/api/session-repository.ts';
import { createAccessToken } from '../services/shared/auth/token-store.ts';
import { loadConfig } from '../services/shared/config.ts';
import { applyTenantRetention } from '../services/shared/retention/tenant-retention.ts';
import { migrate } from '../services/shared/storage/migrate.ts';
import { startServiceProcess } from '../test/support/service-process.ts';
import { percentile } from './report.ts';
import { insertBackgroundSpans, insertTimelineSession, mergeTimelineTables, type TimelineSession } from './timeline-data.ts';

// Timeline reads among millions of spans: the API process serves
// GET /v1/sessions/{id}/timeline for sessions of 100, 1,000 and 10,000
// spans, and the repository's own queries are rerun through a client that
// records ClickHouse's read_rows for each of them.

/** Progress headers keep the HTTP connection of a query that runs for minutes alive. */
export const longQuerySettings = { send_progress_in_http_headers: 1, http_headers_progress_interval_ms: '10000' } as const;

export interface TimelineFigures {
  sessionId: string;
  spans: number;
  spansPerTrace: number;
  p50Ms: number;
  p99Ms: number;
  rowsRead: number;
  rowsReturned: number;
  rowsReadPerRowReturned: number;
}

export interface TimelineResult {
  tableSpans: number;
  generateSeconds: number;
  sessions: TimelineFigures[];
}

/**
 * Wraps a client so that every query it runs adds ClickHouse's read_rows,
 * from the X-ClickHouse-Summary response header, to `counter.rows`.
 */
function countingRowsRead(client: ClickHouseClient, counter: { rows: number }): ClickHouseClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver);
      return async (params: Parameters<ClickHouseClient['query']>[0]) => {
        const result = await target.query(params);
        const summary = result.response_headers['x-clickhouse-summary'];
        if (typeof summary === 'string') counter.rows += Number((JSON.parse(summary) as { read_rows?: string }).read_rows ?? 0);
        return result;
      };
    },
  });
}

export async function measureTimeline(options: {
  clickhouseUrl: string;
  database: string;
  tenant: string;
  tableSpans: number;
  queries: number;
  serviceEnv: Record<string, string>;
}): Promise<TimelineResult> {
  const bootstrap = createClient({ url: options.clickhouseUrl, request_timeout: 1_800_000, clickhouse_settings: longQuerySettings });
  await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  await bootstrap.close();
  const client = createClient({
    url: options.clickhouseUrl,
    database: options.database,
    request_timeout: 1_800_000,
    clickhouse_settings: { ...longQuerySettings, session_timezone: 'UTC', output_format_json_quote_64bit_integers: 1 },
  });
  const logger = pino({ level: 'warn' });
  await migrate(client, logger);
  // The TTL the API sets at start, set while the tables are empty: setting it
  // on 10 million rows rewrites their parts and outlasts the API's start-up.
  const config = loadConfig({ ...options.serviceEnv, CLICKHOUSE_DATABASE: options.database });
  await applyTenantRetention(client, config.security, config.retentionDays, logger);

  const sessions: TimelineSession[] = [];
  for (const spans of [100, 1_000, 10_000]) {
    sessions.push({ sessionId: `timeline-${spans}-multi-trace`, spans, spansPerTrace: 100 });
    if (spans > 100) sessions.push({ sessionId: `timeline-${spans}-one-trace`, spans, spansPerTrace: spans });
  }
  const targetSpans = sessions.reduce((sum, session) => sum + session.spans, 0);
  const started = performance.now();
  await insertBackgroundSpans(client, options.tenant, Math.max(0, options.tableSpans - targetSpans));
  for (const session of sessions) await insertTimelineSession(client, options.tenant, session);
  await mergeTimelineTables(client);
  const generateSeconds = (performance.now() - started) / 1000;
  const countResult = await client.query({ query: 'SELECT count() AS count FROM audit_events', format: 'JSONEachRow' });
  const tableSpans = Number((await countResult.json<{ count: string }>())[0]?.count ?? 0);

  const { token } = await createAccessToken(client, { kind: 'investigator', tenants: ['*'], role: 'investigator', createdBy: 'bench' });
  const api = await startServiceProcess({ ...process.env, ...options.serviceEnv, CLICKHOUSE_DATABASE: options.database, SERVICES: 'api' });
  const figures: TimelineFigures[] = [];
  try {
    const apiUrl = `http://127.0.0.1:${api.ports.api}`;
    for (const session of sessions) {
      const timings: number[] = [];
      // Two requests warm the caches first; an investigator reopening a session finds them warm too.
      for (let index = 0; index < options.queries + 2; index += 1) {
        const requestStarted = performance.now();
        const response = await fetch(`${apiUrl}/v1/sessions/${session.sessionId}/timeline`, { headers: { Authorization: `Bearer ${token}` } });
        const body = (await response.json()) as { steps?: unknown[] };
        if (response.status !== 200 || body.steps?.length !== session.spans) {
          throw new Error(`timeline of ${session.sessionId} returned HTTP ${response.status} with ${body.steps?.length} steps; expected ${session.spans}`);
        }
        if (index >= 2) timings.push(performance.now() - requestStarted);
      }
      const counter = { rows: 0 };
      const events = await readSessionEvents(countingRowsRead(client, counter), session.sessionId);
      figures.push({
        sessionId: session.sessionId,
        spans: session.spans,
        spansPerTrace: session.spansPerTrace,
        p50Ms: percentile(timings, 0.5),
        p99Ms: percentile(timings, 0.99),
        rowsRead: counter.rows,
        rowsReturned: events.length,
        rowsReadPerRowReturned: counter.rows / events.length,
      });
    }
  } finally {
    api.kill();
    await client.close();
  }
  return { tableSpans, generateSeconds, sessions: figures };
}
