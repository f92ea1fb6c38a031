import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, newTraceId, tracesData } from '../support/otlp-builders.ts';
import { waitFor, readJson } from '../support/pipeline.ts';
import { buildLoadSession } from '../support/span-load.ts';

// `npm start` with no KAFKA_BROKERS and no CLICKHOUSE_URL: one process, the
// embedded ClickHouse engine, the gateway inserting before it answers.

const mainScript = fileURLToPath(new URL('../../services/main.ts', import.meta.url));
let child: ChildProcess;
let dataDir: string;
const logLines: string[] = [];
let credentials: { ingestToken: string; adminToken: string };
let ingestHeaders: Record<string, string>;
let apiHeaders: Record<string, string>;
const ports: { gateway?: number; api?: number } = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-embedded-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    OTLP_HTTP_PORT: '0',
    API_PORT: '0',
    LOG_LEVEL: 'info',
    // A short insert queue, so that a burst of requests fills it.
    EMBEDDED_MAX_QUEUED_INSERTS: '2',
  };
  delete env['KAFKA_BROKERS'];
  delete env['CLICKHOUSE_URL'];
  child = spawn(process.execPath, [mainScript], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    logLines.push(line);
    const entry = JSON.parse(line) as { msg: string; port?: number };
    if (entry.msg === 'gateway listening') ports.gateway = entry.port;
    if (entry.msg === 'API listening') ports.api = entry.port;
  });
  await waitFor(async () => (ports.gateway && ports.api ? true : undefined), { timeoutMs: 60_000, what: 'embedded services' });
  credentials = JSON.parse(fs.readFileSync(path.join(dataDir, 'credentials.json'), 'utf8')) as typeof credentials;
  ingestHeaders = { Authorization: `Bearer ${credentials.ingestToken}` };
  apiHeaders = { Authorization: `Bearer ${credentials.adminToken}` };
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded mode', () => {
  it('creates its credentials file readable by its owner only', async () => {
    const mode = fs.statSync(path.join(dataDir, 'credentials.json')).mode & 0o777;

    expect(mode).toBe(0o600);
    expect(credentials.ingestToken).toMatch(/^aat_ingest_/);
    expect(credentials.adminToken).toMatch(/^aat_inv_/);
    expect(logLines.some((line) => line.includes('credentials.json'))).toBe(true);
    expect(logLines.some((line) => line.includes(credentials.ingestToken) || line.includes(credentials.adminToken))).toBe(false);
  });

  it('answers 401 without credentials, health checks aside', async () => {
    const gateway = await fetch(`http://127.0.0.1:${ports.gateway}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: encodeTracesProtobuf(tracesData(agentSession({ sessionId: 'anonymous' }).spans)),
    });
    const api = await fetch(`http://127.0.0.1:${ports.api}/v1/sessions`);
    const health = await fetch(`http://127.0.0.1:${ports.api}/healthz`);

    expect(gateway.status).toBe(401);
    expect(api.status).toBe(401);
    expect(health.status).toBe(200);
  });

  it('answers 200 only once the spans are readable', async () => {
    const sessionId = `embedded-${newTraceId()}`;
    const session = agentSession({ sessionId });

    const response = await fetch(`http://127.0.0.1:${ports.gateway}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', ...ingestHeaders },
      body: encodeTracesProtobuf(tracesData(session.spans)),
    });
    // No polling: the insert finished before the gateway responded.
    const timeline = await readJson(await fetch(`http://127.0.0.1:${ports.api}/v1/sessions/${sessionId}/timeline`, { headers: apiHeaders }));

    expect(response.status).toBe(200);
    expect(timeline.steps.map((step: { kind: string }) => step.kind)).toEqual(['agent', 'model_request', 'tool_call']);
  });

  it('stores log events and folds them into the timeline', async () => {
    const sessionId = `embedded-logs-${newTraceId()}`;
    const session = agentSession({ sessionId });
    const choice = JSON.stringify({ index: 0, message: { tool_calls: [{ id: 'call-1', type: 'function', function: { name: 'lookup_order' } }] } });
    const logs = {
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  timeUnixNano: session.chat.endTimeUnixNano.toString(),
                  eventName: 'gen_ai.choice',
                  traceId: session.traceId,
                  spanId: session.chat.spanId,
                  body: { stringValue: choice },
                },
              ],
            },
          ],
        },
      ],
    };

    const logsResponse = await fetch(`http://127.0.0.1:${ports.gateway}/v1/logs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...ingestHeaders },
      body: JSON.stringify(logs),
    });
    await fetch(`http://127.0.0.1:${ports.gateway}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf', ...ingestHeaders },
      body: encodeTracesProtobuf(tracesData(session.spans)),
    });
    const timeline = await readJson(await fetch(`http://127.0.0.1:${ports.api}/v1/sessions/${sessionId}/timeline`, { headers: apiHeaders }));
    const chat = timeline.steps.find((step: { spanId: string }) => step.spanId === session.chat.spanId);

    expect(logsResponse.status).toBe(200);
    expect(chat.events.map((event: { name: string }) => event.name)).toEqual(['gen_ai.choice']);
    expect(chat.toolCalls).toEqual([
      { callId: 'call-1', name: 'lookup_order', executed: true, executedBy: [{ traceId: session.traceId, spanId: session.tool.spanId }] },
    ]);
  });

  it('answers 429 when its insert queue is full and stores every 200', async () => {
    const spansPerSession = 50;
    const sessions = Array.from({ length: 40 }, () => buildLoadSession(spansPerSession, 'embedded-burst'));
    const post = (spans: (typeof sessions)[number]) =>
      fetch(`http://127.0.0.1:${ports.gateway}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf', ...ingestHeaders },
        body: encodeTracesProtobuf(tracesData(spans)),
      });
    const readTimelineSpanIds = async (spans: (typeof sessions)[number]): Promise<string[]> => {
      // buildLoadSession names the session after its label and trace id.
      const sessionId = `embedded-burst-${spans[0]!.traceId}`;
      const response = await fetch(`http://127.0.0.1:${ports.api}/v1/sessions/${sessionId}/timeline`, { headers: apiHeaders });
      if (response.status !== 200) return [];
      return (await readJson(response)).steps.map((step: { spanId: string }) => step.spanId);
    };

    const responses = await Promise.all(sessions.map(post));
    const rejected = sessions.filter((_, index) => responses[index]!.status === 429);
    const acknowledged = sessions.filter((_, index) => responses[index]!.status === 200);
    // No polling: every 200 came after its insert.
    const storedAtOnce = await Promise.all(acknowledged.map(readTimelineSpanIds));
    const retryAfter = responses.filter((response) => response.status === 429).map((response) => response.headers.get('retry-after'));

    // An exporter retries the rejected requests; each ends in 200.
    const retryStatuses: number[] = [];
    for (const spans of rejected) {
      let status = 0;
      for (let attempt = 0; attempt < 20 && status !== 200; attempt += 1) status = (await post(spans)).status;
      retryStatuses.push(status);
    }
    const storedAfterRetry = await Promise.all(rejected.map(readTimelineSpanIds));

    expect(rejected.length).toBeGreaterThan(0);
    expect(acknowledged.length + rejected.length).toBe(sessions.length);
    expect(retryAfter.every((value) => value !== null)).toBe(true);
    for (const spanIds of [...storedAtOnce, ...storedAfterRetry]) {
      expect(spanIds).toHaveLength(spansPerSession);
      expect(new Set(spanIds).size).toBe(spansPerSession);
    }
    expect(retryStatuses.every((status) => status === 200)).toBe(true);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));

    expect(code).toBe(0);
  });
});
