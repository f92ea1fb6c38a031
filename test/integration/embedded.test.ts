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

// `npm start` with no KAFKA_BROKERS and no CLICKHOUSE_URL: one process, the
// embedded ClickHouse engine, the gateway inserting before it answers.

const mainScript = fileURLToPath(new URL('../../services/main.ts', import.meta.url));
let child: ChildProcess;
let dataDir: string;
const ports: { gateway?: number; api?: number } = {};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-embedded-'));
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, OTLP_HTTP_PORT: '0', API_PORT: '0', LOG_LEVEL: 'info' };
  delete env['KAFKA_BROKERS'];
  delete env['CLICKHOUSE_URL'];
  child = spawn(process.execPath, [mainScript], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const entry = JSON.parse(line) as { msg: string; port?: number };
    if (entry.msg === 'gateway listening') ports.gateway = entry.port;
    if (entry.msg === 'API listening') ports.api = entry.port;
  });
  await waitFor(async () => (ports.gateway && ports.api ? true : undefined), { timeoutMs: 60_000, what: 'embedded services' });
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded mode', () => {
  it('answers 200 only once the spans are readable', async () => {
    const sessionId = `embedded-${newTraceId()}`;
    const session = agentSession({ sessionId });

    const response = await fetch(`http://127.0.0.1:${ports.gateway}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: encodeTracesProtobuf(tracesData(session.spans)),
    });
    // No polling: the insert finished before the gateway answered.
    const timeline = await readJson(await fetch(`http://127.0.0.1:${ports.api}/v1/sessions/${sessionId}/timeline`));

    expect(response.status).toBe(200);
    expect(timeline.steps.map((step: { kind: string }) => step.kind)).toEqual(['agent', 'model_request', 'tool_call']);
  });

  it('stops on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));

    expect(code).toBe(0);
  });
});
