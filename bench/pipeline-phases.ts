import type { ClickHouseClient } from '@clickhouse/client';
import { startServiceProcess, type ServiceProcess } from '../test/support/service-process.ts';
import { runClosedLoop, runOpenLoop, type AcknowledgedSession, type LoadResult, type LoadTarget } from './load-client.ts';
import { readCpuSeconds, readPeakRssBytes, resetPeakRss } from './proc-stats.ts';
import { percentile } from './report.ts';

// The phases that drive the real services: the highest sustained rate, a
// fixed rate for latency and freshness, and a burst for peak memory.

export type ServiceName = 'gateway' | 'writer' | 'api';

export interface BenchProcesses {
  services: Record<ServiceName, ServiceProcess>;
  kafkaPid: number;
  clickhousePid: number;
}

/** Starts each service in a process of its own, so that CPU and memory are per service. */
export async function startBenchServices(env: Record<string, string>): Promise<Record<ServiceName, ServiceProcess>> {
  const base = { ...process.env, ...env, LOG_LEVEL: 'info' };
  // The writer first, so that it has joined its group before spans arrive.
  const writer = await startServiceProcess({ ...base, SERVICES: 'writer' });
  const gateway = await startServiceProcess({ ...base, SERVICES: 'gateway' });
  const api = await startServiceProcess({ ...base, SERVICES: 'api' });
  return { gateway, writer, api };
}

function pidsOf(processes: BenchProcesses): Record<string, number> {
  return {
    gateway: processes.services.gateway.child.pid!,
    writer: processes.services.writer.child.pid!,
    api: processes.services.api.child.pid!,
    kafka: processes.kafkaPid,
    clickhouse: processes.clickhousePid,
  };
}

function readAllCpu(processes: BenchProcesses): Record<string, number> {
  const cpu: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pidsOf(processes))) cpu[name] = readCpuSeconds(pid);
  const own = process.cpuUsage();
  cpu['load generator'] = (own.user + own.system) / 1e6;
  return cpu;
}

async function countStoredSpans(clickhouse: ClickHouseClient): Promise<number> {
  const result = await clickhouse.query({ query: 'SELECT count() AS count FROM audit_events', format: 'JSONEachRow' });
  const [row] = await result.json<{ count: string }>();
  return Number(row?.count ?? 0);
}

export interface MaxRateResult {
  spansAcknowledged: number;
  /** Spans acknowledged per second while the load ran: the gateway's rate. */
  acknowledgedSpansPerSecond: number;
  /** Spans per second from the first request until the last acknowledged span was readable. */
  endToEndSpansPerSecond: number;
  drainSeconds: number;
  cpuSecondsPerMillionSpans: Record<string, number>;
  responses: Record<string, number>;
}

/**
 * Sends as fast as `concurrency` requests in flight allow for `seconds`,
 * then waits until ClickHouse contains every acknowledged span.
 */
export async function measureMaxRate(
  target: LoadTarget,
  processes: BenchProcesses,
  clickhouse: ClickHouseClient,
  concurrency: number,
  seconds: number,
): Promise<MaxRateResult> {
  const storedBefore = await countStoredSpans(clickhouse);
  const cpuBefore = readAllCpu(processes);
  const started = performance.now();
  const load = await runClosedLoop(target, concurrency, seconds * 1000);
  const loadEnded = performance.now();
  const expected = storedBefore + load.spansAcknowledged;
  for (;;) {
    if ((await countStoredSpans(clickhouse)) >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const drained = performance.now();
  const cpuAfter = readAllCpu(processes);
  const cpuSecondsPerMillionSpans: Record<string, number> = {};
  for (const name of Object.keys(cpuAfter)) {
    cpuSecondsPerMillionSpans[name] = ((cpuAfter[name]! - cpuBefore[name]!) / load.spansAcknowledged) * 1e6;
  }
  return {
    spansAcknowledged: load.spansAcknowledged,
    acknowledgedSpansPerSecond: load.spansAcknowledged / ((loadEnded - started) / 1000),
    endToEndSpansPerSecond: load.spansAcknowledged / ((drained - started) / 1000),
    drainSeconds: (drained - loadEnded) / 1000,
    cpuSecondsPerMillionSpans,
    responses: load.responses,
  };
}

export interface FixedRateResult {
  sessionsPerSecond: number;
  spansPerSecond: number;
  ingestLatencyMs: { p50: number; p99: number; samples: number };
  freshnessMs: { p50: number; p99: number; samples: number; neverReadable: number };
  responses: Record<string, number>;
  skipped: number;
}

/**
 * Offers a fixed rate and measures, per request, the latency to the 2xx, and
 * for a sample of sessions the time from the 2xx until the timeline API
 * returns all of their spans, polled every 100 ms. At most two sessions are
 * polled at once, because each poll is a full timeline request and more
 * pollers would take the CPU the pipeline is being measured on.
 */
export async function measureFixedRate(
  target: LoadTarget,
  apiUrl: string,
  apiHeaders: Record<string, string>,
  sessionsPerSecond: number,
  seconds: number,
): Promise<FixedRateResult> {
  const pollIntervalMs = 100;
  const maxPollers = 2;
  const sampleEvery = Math.max(1, Math.floor((sessionsPerSecond * seconds) / 300));
  const freshness: number[] = [];
  let neverReadable = 0;
  let seen = 0;
  const pollers = new Set<Promise<void>>();

  const pollUntilReadable = async (session: AcknowledgedSession): Promise<void> => {
    const deadline = session.acknowledgedAtMs + 60_000;
    while (performance.now() < deadline) {
      const response = await fetch(`${apiUrl}/v1/sessions/${session.sessionId}/timeline`, { headers: apiHeaders });
      if (response.status === 200) {
        const body = (await response.json()) as { steps: unknown[] };
        if (body.steps.length >= session.spanCount) {
          freshness.push(performance.now() - session.acknowledgedAtMs);
          return;
        }
      } else {
        await response.arrayBuffer();
      }
      await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    }
    neverReadable += 1;
  };

  const load = await runOpenLoop(
    {
      ...target,
      onAcknowledged: (session) => {
        seen += 1;
        if (seen % sampleEvery !== 0 || pollers.size >= maxPollers) return;
        const polling = pollUntilReadable(session).finally(() => pollers.delete(polling));
        pollers.add(polling);
      },
    },
    sessionsPerSecond,
    seconds * 1000,
  );
  await Promise.all([...pollers]);
  return {
    sessionsPerSecond,
    spansPerSecond: load.spansAcknowledged / (load.elapsedMs / 1000),
    ingestLatencyMs: { p50: percentile(load.latenciesMs, 0.5), p99: percentile(load.latenciesMs, 0.99), samples: load.latenciesMs.length },
    freshnessMs: { p50: percentile(freshness, 0.5), p99: percentile(freshness, 0.99), samples: freshness.length, neverReadable },
    responses: load.responses,
    skipped: load.skipped,
  };
}

export interface BurstResult {
  sessionsPerSecond: number;
  seconds: number;
  peakRssMiB: Record<string, number>;
  responses: Record<string, number>;
  spansAcknowledged: number;
}

/** Offers `sessionsPerSecond` for `seconds` and reads each process's peak memory during it. */
export async function measureBurst(
  target: LoadTarget,
  processes: BenchProcesses,
  sessionsPerSecond: number,
  seconds: number,
): Promise<BurstResult> {
  const pids = pidsOf(processes);
  for (const pid of Object.values(pids)) resetPeakRss(pid);
  const load: LoadResult = await runOpenLoop(target, sessionsPerSecond, seconds * 1000);
  const peakRssMiB: Record<string, number> = {};
  for (const [name, pid] of Object.entries(pids)) peakRssMiB[name] = readPeakRssBytes(pid) / 2 ** 20;
  return { sessionsPerSecond, seconds, peakRssMiB, responses: load.responses, spansAcknowledged: load.spansAcknowledged };
}

export interface StorageResult {
  spans: number;
  compressedBytesPerSpan: number;
  uncompressedBytesPerSpan: number;
  compressionRatio: number;
  byTable: Record<string, { compressedBytes: number; uncompressedBytes: number; rows: number }>;
}

// The tables the writer fills from spans; token, seal and log tables do not grow with spans.
const spanTables = ['otel_traces', 'audit_events', 'session_index', 'trace_correlations'];

/** Bytes on disk per stored span, over the tables the writer fills, after merging their parts. */
export async function measureStorage(clickhouse: ClickHouseClient): Promise<StorageResult> {
  const spans = await countStoredSpans(clickhouse);
  for (const table of spanTables) {
    await clickhouse.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
  }
  const result = await clickhouse.query({
    query: `SELECT table, sum(data_compressed_bytes) AS compressed, sum(data_uncompressed_bytes) AS uncompressed, sum(rows) AS rows
            FROM system.parts
            WHERE database = currentDatabase() AND active AND table IN {tables:Array(String)}
            GROUP BY table`,
    query_params: { tables: spanTables },
    format: 'JSONEachRow',
  });
  const byTable: StorageResult['byTable'] = {};
  let compressed = 0;
  let uncompressed = 0;
  for (const row of await result.json<{ table: string; compressed: string; uncompressed: string; rows: string }>()) {
    byTable[row.table] = { compressedBytes: Number(row.compressed), uncompressedBytes: Number(row.uncompressed), rows: Number(row.rows) };
    compressed += Number(row.compressed);
    uncompressed += Number(row.uncompressed);
  }
  return {
    spans,
    compressedBytesPerSpan: compressed / spans,
    uncompressedBytesPerSpan: uncompressed / spans,
    compressionRatio: uncompressed / compressed,
    byTable,
  };
}
