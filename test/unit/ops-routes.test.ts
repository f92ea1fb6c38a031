import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../services/shared/http-server.ts';
import { createMetrics } from '../../services/shared/metrics.ts';
import { createOpsRouter } from '../../services/shared/ops-routes.ts';
import { PeriodicCounts } from '../../services/shared/periodic-counts.ts';
import { createReadiness, type ReadinessCheck } from '../../services/shared/readiness.ts';

// The operator endpoints every service serves, with readiness checks that
// are plain functions; the integration tests run them against real Kafka
// and ClickHouse.

let server: Server | undefined;

afterEach(async () => {
  if (server) await closeServer(server, 1_000);
  server = undefined;
});

async function serve(checks: Record<string, ReadinessCheck>, metrics = createMetrics()): Promise<string> {
  const app = express();
  app.use(createOpsRouter({ metrics, readiness: createReadiness(checks) }));
  server = await listen(app, '127.0.0.1', 0);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('ops routes', () => {
  it('answers /healthz without running checks', async () => {
    let ran = 0;
    const url = await serve({ kafka: async () => ((ran += 1), { ok: true }) });

    const response = await fetch(`${url}/healthz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(ran).toBe(0);
  });

  it('answers /readyz 200 when every check passes', async () => {
    const url = await serve({ kafka: async () => ({ ok: true }), clickhouse: async () => ({ ok: true }) });

    const response = await fetch(`${url}/readyz`);

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', checks: { kafka: 'ok', clickhouse: 'ok' } });
  });

  it('answers /readyz 503 naming the failed check', async () => {
    const url = await serve({
      kafka: async () => ({ ok: true }),
      clickhouse: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:8123');
      },
      migrations: async () => ({ ok: false, reason: 'migrations not applied: 4' }),
    });

    const response = await fetch(`${url}/readyz`);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };

    expect(response.status).toBe(503);
    expect(body.status).toBe('unavailable');
    expect(body.checks.kafka).toBe('ok');
    expect(body.checks.clickhouse).toBe('connect ECONNREFUSED 127.0.0.1:8123');
    expect(body.checks.migrations).toBe('migrations not applied: 4');
  });

  it('shares one round of checks among concurrent probes', async () => {
    let ran = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const readiness = createReadiness({
      kafka: async () => {
        ran += 1;
        await gate;
        return { ok: true };
      },
    });

    const probes = [readiness(), readiness(), readiness()];
    release();
    const reports = await Promise.all(probes);

    expect(ran).toBe(1);
    expect(reports.every((report) => report.ready)).toBe(true);
  });

  it('serves the metrics in the Prometheus text format', async () => {
    const metrics = createMetrics();
    metrics.gatewaySpansAccepted.inc(3);
    metrics.gatewayRequestsRejected.inc({ reason: 'overloaded' });
    const url = await serve({}, metrics);

    const response = await fetch(`${url}/metrics`);
    const text = await response.text();

    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text).toMatch(/^agent_audit_gateway_spans_accepted_total 3$/m);
    expect(text).toMatch(/^agent_audit_gateway_requests_rejected_total\{reason="overloaded"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});

describe('periodic counts', () => {
  it('logs one line with the counts of an interval', () => {
    const lines: { counts: Record<string, number>; lastError?: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const counts = new PeriodicCounts(logger, 'rejected OTLP requests', 60_000);

    for (let index = 0; index < 100; index += 1) counts.add('overloaded');
    counts.add('unavailable', 2, new Error('broker down'));
    counts.flush();
    counts.flush();

    expect(lines).toHaveLength(1);
    expect(lines[0]?.counts).toEqual({ overloaded: 100, unavailable: 2 });
    expect(lines[0]?.lastError).toBe('broker down');
  });
});
