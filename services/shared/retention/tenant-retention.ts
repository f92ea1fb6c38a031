import type { Logger } from '../logger.ts';
import type { SecurityConfig } from '../security-config.ts';
import type { ClickHouseClient } from '../storage/clickhouse.ts';
import { ttlColumns } from '../storage/migrate.ts';

// Retention per tenant as ClickHouse TTL rules: one DELETE rule per tenant
// with its own retentionDays, one for all other tenants with RETENTION_DAYS,
// and each rule skips rows under legal hold. Tenant names are inlined into
// the DDL because TTL clauses take no query parameters. The configuration
// schema restricts them to [A-Za-z0-9_.-], and quote() checks again.

/** Tables with a retention TTL and the time column it counts from: the span and log tables, and the seals. */
const retentionTables: Record<string, string> = { ...ttlColumns, evidence_seals: 'CreatedAt' };

function quote(tenant: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(tenant)) throw new Error(`invalid tenant name ${JSON.stringify(tenant)}`);
  return `'${tenant}'`;
}

/** Days each configured tenant keeps its data; other tenants use defaultDays. 0 keeps data forever. */
export function retentionDaysByTenant(security: SecurityConfig, defaultDays: number): { byTenant: Map<string, number>; defaultDays: number } {
  const byTenant = new Map<string, number>();
  for (const [tenant, policy] of Object.entries(security.tenants.policies)) {
    if (policy.retentionDays !== undefined) byTenant.set(tenant, policy.retentionDays);
  }
  return { byTenant, defaultDays };
}

/**
 * Builds the TTL clause for one table, or null when nothing expires. A table
 * without a Tenant column gets RETENTION_DAYS alone; the LegalHold condition
 * applies where the table has that column.
 */
export function buildTtlClause(
  column: string,
  retention: { byTenant: Map<string, number>; defaultDays: number },
  has: { tenant: boolean; legalHold: boolean },
): string | null {
  const held = has.legalHold ? ['LegalHold = 0'] : [];
  const rule = (days: number, conditions: string[]) =>
    `toDateTime(${column}) + INTERVAL ${days} DAY DELETE${conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`}`;
  const rules: string[] = [];
  const tenants = has.tenant ? retentionDaysByTenantSorted(retention.byTenant) : [];
  for (const [tenant, days] of tenants) {
    if (days > 0) rules.push(rule(days, [`Tenant = ${quote(tenant)}`, ...held]));
  }
  if (retention.defaultDays > 0) {
    const others = tenants.map(([tenant]) => quote(tenant));
    rules.push(rule(retention.defaultDays, [...(others.length === 0 ? [] : [`Tenant NOT IN (${others.join(', ')})`]), ...held]));
  }
  return rules.length === 0 ? null : rules.join(', ');
}

function retentionDaysByTenantSorted(byTenant: Map<string, number>): [string, number][] {
  return [...byTenant].sort(([a], [b]) => (a < b ? -1 : 1));
}

/**
 * Sets the per-tenant TTL on the span tables and the seals. A seal is made
 * after the spans it covers started, so it expires after them. Runs the
 * ALTER only when the clause differs from the one in force.
 */
export async function applyTenantRetention(
  client: ClickHouseClient,
  security: SecurityConfig,
  defaultDays: number,
  logger: Logger,
): Promise<void> {
  const retention = retentionDaysByTenant(security, defaultDays);
  const tables = Object.keys(retentionTables);
  const result = await client.query({
    query: `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {tables:Array(String)}`,
    query_params: { tables },
    format: 'JSONEachRow',
  });
  const engines = new Map((await result.json<{ name: string; engine_full: string }>()).map((row) => [row.name, row.engine_full]));
  const columnsResult = await client.query({
    query: `SELECT table, name FROM system.columns
            WHERE database = currentDatabase() AND table IN {tables:Array(String)} AND name IN ('Tenant', 'LegalHold')`,
    query_params: { tables },
    format: 'JSONEachRow',
  });
  const columns = new Set((await columnsResult.json<{ table: string; name: string }>()).map((row) => `${row.table}.${row.name}`));

  for (const [table, column] of Object.entries(retentionTables)) {
    if (!engines.has(table)) continue;
    const clause = buildTtlClause(column, retention, { tenant: columns.has(`${table}.Tenant`), legalHold: columns.has(`${table}.LegalHold`) });
    const current = /\bTTL (.*?)(?: SETTINGS |$)/.exec(engines.get(table) ?? '')?.[1] ?? null;
    if (clause === null) {
      if (current !== null) {
        await client.command({ query: `ALTER TABLE ${table} REMOVE TTL` });
        logger.info({ table }, 'removed retention TTL');
      }
      continue;
    }
    if (current !== null && normalizeTtl(current) === normalizeTtl(clause)) continue;
    await client.command({ query: `ALTER TABLE ${table} MODIFY TTL ${clause}` });
    logger.info({ table, defaultDays, tenants: Object.fromEntries(retention.byTenant) }, 'set retention TTL');
  }
}

/**
 * Compares TTL text loosely: ClickHouse writes a clause back as
 * `toIntervalDay(30)` for `INTERVAL 30 DAY`, drops DELETE and adds brackets.
 */
function normalizeTtl(text: string): string {
  return text
    .replace(/INTERVAL (\d+) DAY/g, 'toIntervalDay($1)')
    .replace(/\bDELETE\b/g, '')
    .replace(/[()\s]/g, '')
    .toLowerCase();
}

/** Start time before which the TTL may have deleted a tenant's spans, in nanoseconds; null when they never expire. */
export function expiryCutoff(retention: { byTenant: Map<string, number>; defaultDays: number }, tenant: string, nowMs = Date.now()): bigint | null {
  const days = retention.byTenant.get(tenant) ?? retention.defaultDays;
  if (days === 0) return null;
  return BigInt(nowMs - days * 86_400_000) * 1_000_000n;
}
