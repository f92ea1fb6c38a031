import type { Kafka } from 'kafkajs';
import type { ClickHouseClient } from './storage/clickhouse.ts';
import { readMigrations } from './storage/migrate.ts';

// Readiness checks behind GET /readyz. Each service checks the dependencies
// it uses: the gateway in Kafka mode checks Kafka only, because a gateway
// that went unready while ClickHouse is down would turn away spans that
// Kafka can hold until the writer catches up.

export type CheckResult = { ok: true } | { ok: false; reason: string };

export type ReadinessCheck = () => Promise<CheckResult>;

export interface ReadinessReport {
  ready: boolean;
  /** "ok" or the reason each check failed, by check name. */
  checks: Record<string, string>;
}

const checkTimeoutMs = 2_000;

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs a check, turning a thrown error or a timeout into a failed result. */
async function runBounded(check: ReadinessCheck): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${checkTimeoutMs} ms` }), checkTimeoutMs);
  });
  try {
    return await Promise.race([check().catch((error: unknown) => ({ ok: false as const, reason: describeError(error) })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Builds the readiness evaluation for a set of named checks. Probes that
 * arrive while an evaluation runs share its result, so a burst of probes
 * costs one round of checks.
 */
export function createReadiness(checks: Record<string, ReadinessCheck>): () => Promise<ReadinessReport> {
  let running: Promise<ReadinessReport> | null = null;
  const evaluate = async (): Promise<ReadinessReport> => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => runBounded(checks[name]!)));
    const report: ReadinessReport = { ready: true, checks: {} };
    results.forEach((result, index) => {
      report.checks[names[index]!] = result.ok ? 'ok' : result.reason;
      if (!result.ok) report.ready = false;
    });
    return report;
  };
  return () => {
    running ??= evaluate().finally(() => {
      running = null;
    });
    return running;
  };
}

/** Checks that a Kafka broker returns a cluster description. */
export function checkKafka(kafka: Kafka): ReadinessCheck {
  return async () => {
    // No retries, because the probe reports the state now and the prober probes again.
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0 ? { ok: true } : { ok: false, reason: 'cluster has no brokers' };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}

export function checkClickHouse(client: ClickHouseClient): ReadinessCheck {
  return async () => {
    const result = await client.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
    await result.json();
    return { ok: true };
  };
}

/** Checks that schema_migrations records every numbered file in schemas/migrations. */
export function checkMigrations(client: ClickHouseClient): ReadinessCheck {
  const expected = readMigrations().map((migration) => migration.version);
  return async () => {
    const result = await client.query({ query: 'SELECT DISTINCT Version FROM schema_migrations', format: 'JSONEachRow' });
    const applied = new Set((await result.json<{ Version: number | string }>()).map((row) => Number(row.Version)));
    const missing = expected.filter((version) => !applied.has(version));
    return missing.length === 0 ? { ok: true } : { ok: false, reason: `migrations not applied: ${missing.join(', ')}` };
  };
}
