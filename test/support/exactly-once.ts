import type { ClickHouseClient } from '@clickhouse/client';
import { expect } from 'vitest';
import { waitFor } from './pipeline.ts';
import { spanKey, type SpanLoadStats } from './span-load.ts';

// Reads back what a load sent and checks the promise of the pipeline: every
// span the gateway acknowledged is readable, and readers see it once.

export interface StoredSpans {
  /** `traceId/spanId` of every span a reader gets, from audit_events with FINAL. */
  keys: Set<string>;
  /** Rows audit_events returns with FINAL: what the timeline API reads. */
  auditEventRows: number;
  /** Rows otel_traces returns with FINAL: what Grafana's trace view reads after merges. */
  otelTraceRows: number;
}

export async function readStoredSpans(clickhouse: ClickHouseClient): Promise<StoredSpans> {
  const events = await clickhouse.query({ query: 'SELECT TraceId, SpanId FROM audit_events FINAL', format: 'JSONEachRow' });
  const rows = await events.json<{ TraceId: string; SpanId: string }>();
  const traces = await clickhouse.query({ query: 'SELECT count() AS count FROM otel_traces FINAL', format: 'JSONEachRow' });
  const [traceCount] = await traces.json<{ count: string }>();
  return {
    keys: new Set(rows.map((row) => spanKey(row.TraceId, row.SpanId))),
    auditEventRows: rows.length,
    otelTraceRows: Number(traceCount?.count ?? 0),
  };
}

/** Acknowledged spans that ClickHouse does not hold; at most 10, for a readable failure message. */
export function findMissing(acknowledged: Set<string>, stored: Set<string>): string[] {
  const missing: string[] = [];
  for (const key of acknowledged) {
    if (!stored.has(key)) missing.push(key);
    if (missing.length === 10) break;
  }
  return missing;
}

/**
 * Waits until ClickHouse contains as many spans as the load had acknowledged,
 * then checks that the load got every span acknowledged, that each
 * acknowledged span is stored, and that readers see each exactly once.
 */
export async function expectAcknowledgedSpansStoredOnce(
  clickhouse: ClickHouseClient,
  stats: SpanLoadStats,
  timeoutMs = 60_000,
): Promise<StoredSpans> {
  const stored = await waitFor(
    async () => {
      const current = await readStoredSpans(clickhouse);
      return current.auditEventRows >= stats.spansAcknowledged && current.otelTraceRows >= stats.spansAcknowledged
        ? current
        : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `${stats.spansAcknowledged} acknowledged spans readable` },
  );
  expect(stats.unexpected).toEqual([]);
  expect(stats.spansAcknowledged).toBe(stats.spansSent);
  expect(findMissing(stats.acknowledgedKeys, stored.keys)).toEqual([]);
  expect(stored.auditEventRows).toBe(stats.spansAcknowledged);
  expect(stored.otelTraceRows).toBe(stats.spansAcknowledged);
  return stored;
}

/** Formats the counts of a fault test as one line for the test log. */
export function describeCounts(name: string, stats: SpanLoadStats, stored: StoredSpans): string {
  return `[${name}] sent=${stats.spansSent} acknowledged=${stats.spansAcknowledged} readable=${stored.auditEventRows} `
    + `responses=${JSON.stringify(stats.responses)}`;
}
