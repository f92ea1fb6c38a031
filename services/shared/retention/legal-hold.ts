import type { ClickHouseClient } from '../storage/clickhouse.ts';

// Legal holds keep chosen sessions from the retention TTL. A hold is a row in
// legal_holds plus LegalHold = 1 on the session's rows in the three tables,
// which the TTL rules exclude (see tenant-retention.ts).

export interface LegalHold {
  tenant: string;
  sessionId: string;
  active: boolean;
  reason: string;
  changedBy: string;
  changedAt: string;
}

const heldTables = ['otel_traces', 'audit_events', 'session_index'] as const;

/** The tenants, among those given (null: all), that hold rows of the session. */
export async function tenantsOfSession(client: ClickHouseClient, sessionId: string, tenants: readonly string[] | null): Promise<string[]> {
  const result = await client.query({
    query: `SELECT DISTINCT Tenant FROM session_index WHERE SessionId = {sessionId:String}
            ${tenants === null ? '' : 'AND Tenant IN {tenants:Array(String)}'} ORDER BY Tenant`,
    query_params: { sessionId, tenants: tenants ?? [] },
    format: 'JSONEachRow',
  });
  return (await result.json<{ Tenant: string }>()).map((row) => row.Tenant);
}

async function markRows(client: ClickHouseClient, tenant: string, sessionId: string, held: boolean): Promise<void> {
  const traces = await client.query({
    query: 'SELECT DISTINCT TraceId FROM session_index WHERE SessionId = {sessionId:String} AND Tenant = {tenant:String}',
    query_params: { sessionId, tenant },
    format: 'JSONEachRow',
  });
  const traceIds = (await traces.json<{ TraceId: string }>()).map((row) => row.TraceId);
  if (traceIds.length === 0) return;
  const update = async (table: string, condition: string, params: Record<string, unknown>) => {
    // mutations_sync makes the hold take effect before the request is answered.
    await client.command({
      query: `ALTER TABLE ${table} UPDATE LegalHold = {held:UInt8} WHERE Tenant = {tenant:String} AND ${condition}`,
      query_params: { held: held ? 1 : 0, tenant, ...params },
      clickhouse_settings: { mutations_sync: '1' },
    });
  };
  for (const table of heldTables) await update(table, 'TraceId IN {traceIds:Array(String)}', { traceIds });
  // Spans filed under their trace id before the session was known are sealed under that trace id.
  await update('evidence_seals', 'SessionId IN {sessionIds:Array(String)}', { sessionIds: [sessionId, ...traceIds] });
}

/** Sets or releases the hold of a session in one tenant. */
export async function changeLegalHold(
  client: ClickHouseClient,
  change: { tenant: string; sessionId: string; active: boolean; reason: string; changedBy: string },
): Promise<void> {
  const now = Date.now();
  await client.insert({
    table: 'legal_holds',
    values: [
      {
        Tenant: change.tenant,
        SessionId: change.sessionId,
        Active: change.active ? 1 : 0,
        Reason: change.reason,
        ChangedBy: change.changedBy,
        ChangedAt: (now / 1000).toFixed(3),
        Version: now * 1000,
      },
    ],
    format: 'JSONEachRow',
  });
  await markRows(client, change.tenant, change.sessionId, change.active);
}

export async function listLegalHolds(client: ClickHouseClient, tenants: readonly string[] | null, activeOnly = true): Promise<LegalHold[]> {
  const result = await client.query({
    query: `SELECT Tenant, SessionId, Active, Reason, ChangedBy, toString(toUnixTimestamp64Milli(ChangedAt)) AS ChangedAtMs
            FROM legal_holds FINAL
            WHERE 1 ${activeOnly ? 'AND Active = 1' : ''} ${tenants === null ? '' : 'AND Tenant IN {tenants:Array(String)}'}
            ORDER BY Tenant, SessionId`,
    query_params: { tenants: tenants ?? [] },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ Tenant: string; SessionId: string; Active: number; Reason: string; ChangedBy: string; ChangedAtMs: string }>();
  return rows.map((row) => ({
    tenant: row.Tenant,
    sessionId: row.SessionId,
    active: Number(row.Active) === 1,
    reason: row.Reason,
    changedBy: row.ChangedBy,
    changedAt: new Date(Number(row.ChangedAtMs)).toISOString(),
  }));
}

/**
 * Reports whether a session is held, from a set reloaded in the background,
 * so that rows arriving for a held session are stored already marked.
 */
export class HeldSessions {
  readonly #client: ClickHouseClient;
  #held = new Set<string>();
  #timer: NodeJS.Timeout | null = null;

  constructor(client: ClickHouseClient) {
    this.#client = client;
  }

  isHeld(tenant: string, sessionId: string): boolean {
    return this.#held.has(`${tenant}\u0000${sessionId}`);
  }

  async reload(): Promise<void> {
    const holds = await listLegalHolds(this.#client, null);
    this.#held = new Set(holds.map((hold) => `${hold.tenant}\u0000${hold.sessionId}`));
  }

  /** Reloads every intervalMs until stop; a failed reload keeps the previous set. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => this.reload().catch(onError), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
