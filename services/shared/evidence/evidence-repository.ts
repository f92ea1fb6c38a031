import { CANONICAL_FORM, type CanonicalSpan, type Evidence, type Seal } from '../../../schemas/evidence.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { auditEventColumns, canonicalRow, canonicalSelectList, otelTraceColumns } from './canonical.ts';

// Reads a session's seals and stored rows for verification and export, with
// bound parameters only. `tenants` null reads all tenants; otherwise every
// read is confined to them.

function tenantCondition(tenants: readonly string[] | null, column = 'Tenant'): string {
  return tenants === null ? '' : `AND ${column} IN {tenants:Array(String)}`;
}

interface SealRow {
  SessionId: string;
  Tenant: string;
  Sequence: string | number;
  SealId: string;
  CreatedAtMs: string | number;
  Previous: string;
  Root: string;
  SpanKeys: string[];
  LeafHashes: string[];
  LeafTimes: (string | number)[];
  KeyId: string;
  Signature: string;
  SealHash: string;
}

function toSeal(row: SealRow): Seal {
  return {
    sessionId: row.SessionId,
    tenant: row.Tenant,
    sequence: Number(row.Sequence),
    sealId: row.SealId,
    createdAt: Number(row.CreatedAtMs),
    previous: row.Previous,
    root: row.Root,
    spanKeys: row.SpanKeys,
    leafHashes: row.LeafHashes,
    leafTimes: row.LeafTimes.map(String),
    keyId: row.KeyId,
    signature: row.Signature,
    sealHash: row.SealHash,
  };
}

/** Reads the evidence of a session: the rows the timeline shows and every seal that covers them. */
export async function readSessionEvidence(client: ClickHouseClient, sessionId: string, tenants: readonly string[] | null): Promise<Evidence> {
  const params = { sessionId, tenants: tenants ?? [] };
  const tracesResult = await client.query({
    query: `SELECT DISTINCT TraceId FROM session_index WHERE SessionId = {sessionId:String} ${tenantCondition(tenants)}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const traceIds = (await tracesResult.json<{ TraceId: string }>()).map((row) => row.TraceId);

  const readRows = async (table: string, select: string): Promise<Record<string, unknown>[]> => {
    if (traceIds.length === 0) return [];
    const result = await client.query({
      query: `SELECT ${select} FROM ${table} FINAL WHERE TraceId IN {traceIds:Array(String)} ${tenantCondition(tenants)}`,
      query_params: { ...params, traceIds },
      format: 'JSONEachRow',
    });
    return result.json<Record<string, unknown>>();
  };
  const otelRows = await readRows('otel_traces', canonicalSelectList(otelTraceColumns));
  const auditRows = await readRows('audit_events', canonicalSelectList(auditEventColumns));

  const spans = new Map<string, CanonicalSpan>();
  const spanOf = (row: Record<string, unknown>): CanonicalSpan => {
    const traceId = String(row['TraceId']);
    const spanId = String(row['SpanId']);
    const key = `${traceId}:${spanId}`;
    let span = spans.get(key);
    if (span === undefined) {
      span = { traceId, spanId, otel: null, audit: null };
      spans.set(key, span);
    }
    return span;
  };
  for (const row of otelRows) spanOf(row).otel = canonicalRow(otelTraceColumns, row);
  for (const row of auditRows) spanOf(row).audit = canonicalRow(auditEventColumns, row);

  // Spans filed under a trace id before their session was known are sealed under that trace id.
  const sealSessions = new Set([sessionId, ...auditRows.map((row) => String(row['SessionId'])), ...otelRows.map((row) => String(row['SessionId']))]);
  const sealsResult = await client.query({
    query: `SELECT SessionId, Tenant, Sequence, SealId, toString(toUnixTimestamp64Milli(CreatedAt)) AS CreatedAtMs, Previous, Root,
              SpanKeys, LeafHashes, LeafTimes, KeyId, Signature, SealHash
            FROM evidence_seals
            WHERE SessionId IN {sealSessions:Array(String)} ${tenantCondition(tenants)}
            ORDER BY SessionId, Sequence, CreatedAt, SealId`,
    query_params: { ...params, sealSessions: [...sealSessions] },
    format: 'JSONEachRow',
  });

  return {
    canonicalForm: CANONICAL_FORM,
    sessionId,
    seals: (await sealsResult.json<SealRow>()).map(toSeal),
    spans: [...spans.values()].sort((a, b) => (`${a.traceId}:${a.spanId}` < `${b.traceId}:${b.spanId}` ? -1 : 1)),
  };
}
