import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from './clickhouse.ts';
import type { Logger } from '../logger.ts';

const migrationsDir = fileURLToPath(new URL('../../../schemas/migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Reads the numbered SQL files (`0001_name.sql`) in version order. */
export function readMigrations(directory = migrationsDir): Migration[] {
  return fs
    .readdirSync(directory)
    .filter((file) => /^\d{4}_[\w-]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = fs.readFileSync(`${directory}/${file}`, 'utf8');
      const statements = sql
        .split(/;\s*$/m)
        .map((statement) => statement.replace(/^\s*--.*$/gm, '').trim())
        .filter((statement) => statement !== '');
      return { version: Number(file.slice(0, 4)), name: file.replace(/\.sql$/, ''), statements };
    });
}

/**
 * Applies the migrations not yet recorded in schema_migrations. Every
 * statement is idempotent (IF NOT EXISTS), so two services starting at once
 * may both run a migration without harm.
 */
export async function migrate(client: ClickHouseClient, logger: Logger): Promise<number[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
      (Version UInt32, Name String, AppliedAt DateTime64(3) DEFAULT now64(3))
      ENGINE = ReplacingMergeTree ORDER BY Version`,
  });
  const result = await client.query({ query: 'SELECT DISTINCT Version FROM schema_migrations', format: 'JSONEachRow' });
  const applied = new Set((await result.json<{ Version: number }>()).map((row) => Number(row.Version)));

  const newlyApplied: number[] = [];
  for (const migration of readMigrations()) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements) await client.command({ query: statement });
    await client.insert({
      table: 'schema_migrations',
      values: [{ Version: migration.version, Name: migration.name }],
      format: 'JSONEachRow',
    });
    logger.info({ migration: migration.name }, 'applied migration');
    newlyApplied.push(migration.version);
  }
  return newlyApplied;
}

// Table and time column that each retention TTL applies to (see
// retention/tenant-retention.ts, which writes the TTL rules).
export const ttlColumns: Record<string, string> = {
  otel_traces: 'Timestamp',
  audit_events: 'StartTime',
  session_index: 'EndTime',
  resource_access: 'StartTime',
  trace_correlations: 'StartTime',
  otel_logs: 'Timestamp',
  audit_log_events: 'Timestamp',
};
