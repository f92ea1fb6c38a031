import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, Response } from 'express';
import { AuditError } from '../shared/errors.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { tenantsOf } from './access-control.ts';

// Confines every ClickHouse read made while handling a request to the
// caller's tenants, whichever repository function makes it. The API's client
// adds ClickHouse's `additional_table_filters` setting to each query: a
// filter on Tenant for every table that has that column, applied by the
// server to each read of the table, in subqueries and joins too. Repository
// code that also filters by tenant is welcome; this is the floor.
//
// Tenant names are spelled with char() codes because the setting is a
// string that the embedded engine's connection passes in a SET statement,
// where nested quotes would need two levels of escaping.

interface Scope {
  /** null: all tenants. */
  tenants: string[] | null;
}

const scopeStorage = new AsyncLocalStorage<Scope>();

/** Express middleware, after authentication: runs the rest of the request in the caller's tenant scope. */
export function enterTenantScope(_request: Request, response: Response, next: NextFunction): void {
  scopeStorage.run({ tenants: tenantsOf(response) }, next);
}

function spellTenant(tenant: string): string {
  return `char(${[...Buffer.from(tenant, 'utf8')].join(',')})`;
}

export interface TenantTables {
  /** Tables filtered on their Tenant column. */
  withTenant: string[];
  /** Tables of tenant data without a Tenant column, which a tenant-scoped caller cannot read at all. */
  withoutTenant: string[];
}

/** Builds the additional_table_filters value that confines the tables to the tenants. */
export function tenantFilterSetting(tables: TenantTables, tenants: readonly string[]): string {
  // An empty list would be `IN ()`, which ClickHouse rejects; a caller with no tenant matches no row.
  const filter = tenants.length === 0 ? '0' : `Tenant IN (${tenants.map(spellTenant).join(',')})`;
  const entries = [...tables.withTenant.map((table) => `'${table}': '${filter}'`), ...tables.withoutTenant.map((table) => `'${table}': '0'`)];
  return `{${entries.join(', ')}}`;
}

// Tables that hold no tenant data: the migration log, credentials and the access log (admin only).
const sharedTables = ['schema_migrations', 'access_tokens', 'access_log'];

/** Sorts the current database's tables by whether they have a Tenant column; views are left out. */
export async function readTenantTables(client: ClickHouseClient): Promise<TenantTables> {
  const result = await client.query({
    query: `SELECT t.name AS table, countIf(c.name = 'Tenant') > 0 AS hasTenant
            FROM system.tables AS t
            LEFT JOIN (SELECT table, name FROM system.columns WHERE database = currentDatabase()) AS c ON c.table = t.name
            WHERE t.database = currentDatabase() AND t.engine NOT LIKE '%View' AND t.name NOT IN {shared:Array(String)}
            GROUP BY t.name ORDER BY t.name`,
    query_params: { shared: sharedTables },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ table: string; hasTenant: boolean | number }>();
  return {
    withTenant: rows.filter((row) => Boolean(row.hasTenant)).map((row) => row.table),
    withoutTenant: rows.filter((row) => !row.hasTenant).map((row) => row.table),
  };
}

type QueryParams = { clickhouse_settings?: Record<string, unknown> };

/**
 * Wraps a client so that query, command and exec carry the tenant filter of
 * the request they run in. A call outside any request scope fails, so a code
 * path that escaped authentication cannot read unfiltered.
 */
export function createTenantScopedClient(client: ClickHouseClient, tenantTables: TenantTables): ClickHouseClient {
  const scoped = (params: QueryParams): QueryParams => {
    const scope = scopeStorage.getStore();
    if (scope === undefined) throw new AuditError('internal', 'a ClickHouse read ran outside an authenticated request');
    if (scope.tenants === null) return params;
    return {
      ...params,
      clickhouse_settings: { ...params.clickhouse_settings, additional_table_filters: tenantFilterSetting(tenantTables, scope.tenants) },
    };
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'command' || property === 'exec') {
        const method = Reflect.get(target, property, receiver) as (params: QueryParams) => unknown;
        return (params: QueryParams) => method.call(target, scoped(params));
      }
      const value = Reflect.get(target, property, receiver) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
