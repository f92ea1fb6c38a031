import type { Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnyValue, TracesData } from '../../schemas/otlp.ts';
import { createGatewayApp } from '../../services/gateway/app.ts';
import { GatewayTelemetry } from '../../services/gateway/gateway-telemetry.ts';
import type { SpanSink } from '../../services/gateway/span-sink.ts';
import { listen, closeServer } from '../../services/shared/http-server.ts';
import { createMetrics } from '../../services/shared/metrics.ts';
import { createOpsRouter } from '../../services/shared/ops-routes.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { createReadiness } from '../../services/shared/readiness.ts';
import { RateLimiter } from '../../services/shared/rate-limiter.ts';
import { agentSession, newTraceId, span, tracesData } from '../support/otlp-builders.ts';
import { toOtlpJson } from '../support/otlp-json.ts';
import { createTestGatewaySecurity, TEST_INGEST_TOKEN } from '../support/security.ts';

// The gateway's request limits and credentials, with small limits so that
// each is easy to cross.

class RecordingSink implements SpanSink {
  written: TracesData[] = [];

  async write(data: TracesData): Promise<void> {
    this.written.push(data);
  }
}

const limitsEnv = {
  INGEST_MAX_SPANS_PER_REQUEST: '5',
  INGEST_MAX_ATTRIBUTES_PER_SPAN: '8',
  INGEST_MAX_VALUE_LENGTH: '100',
  INGEST_MAX_NESTING_DEPTH: '3',
  INGEST_MAX_EVENTS_PER_SPAN: '2',
};

const sink = new RecordingSink();
let server: Server;
let url: string;

async function startGateway(rateLimiter: RateLimiter): Promise<{ server: Server; url: string }> {
  const metrics = createMetrics();
  const logger = pino({ level: 'silent' });
  const app = createGatewayApp({
    sink,
    logger,
    maxRequestBodyBytes: 1024 * 1024,
    retryAfterSeconds: 3,
    maxConcurrentRequests: 16,
    telemetry: new GatewayTelemetry(metrics, logger),
    opsRoutes: createOpsRouter({ metrics, readiness: createReadiness({}) }),
    security: createTestGatewaySecurity(limitsEnv, rateLimiter),
  });
  const started = await listen(app, '127.0.0.1', 0);
  return { server: started, url: `http://127.0.0.1:${(started.address() as { port: number }).port}/v1/traces` };
}

beforeAll(async () => {
  ({ server, url } = await startGateway(new RateLimiter(0, 1)));
});

afterAll(async () => {
  await closeServer(server, 1_000);
});

beforeEach(() => {
  sink.written = [];
});

async function post(
  data: TracesData,
  encoding: 'protobuf' | 'json' = 'protobuf',
  token = TEST_INGEST_TOKEN,
  target = url,
): Promise<{ status: number; message: string }> {
  const response = await fetch(target, {
    method: 'POST',
    body: encoding === 'protobuf' ? encodeTracesProtobuf(data) : toOtlpJson(data),
    headers: {
      'Content-Type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json',
      ...(token === '' ? {} : { Authorization: `Bearer ${token}` }),
    },
  });
  if (encoding === 'json' || response.headers.get('content-type')?.startsWith('application/json')) {
    const body = (await response.json()) as { message?: string };
    return { status: response.status, message: body.message ?? '' };
  }
  await response.arrayBuffer();
  return { status: response.status, message: '' };
}

function nested(depth: number): AnyValue {
  let value: AnyValue = { stringValue: 'leaf' };
  for (let level = 0; level < depth; level += 1) value = { arrayValue: { values: [value] } };
  return value;
}

function oneSpan(mutate: (target: ReturnType<typeof span>) => void): TracesData {
  const target = span({ traceId: newTraceId(), name: 'step', startMs: Date.now() });
  mutate(target);
  return tracesData([target]);
}

describe('gateway request limits', () => {
  it('answers 413 for too many spans per request', async () => {
    const spans = [...agentSession({ sessionId: 'a' }).spans, ...agentSession({ sessionId: 'b' }).spans];

    const result = await post(tracesData(spans), 'json');

    expect(result.status).toBe(413);
    expect(result.message).toBe('request holds 6 spans; the limit is 5 per request, so send smaller batches');
    expect(sink.written).toHaveLength(0);
  });

  it('answers 400 for too many attributes on a span', async () => {
    const data = oneSpan((target) => {
      for (let index = 0; index < 9; index += 1) target.attributes.push({ key: `k${index}`, value: { intValue: 1n } });
    });

    const result = await post(data, 'json');

    expect(result.status).toBe(400);
    expect(result.message).toBe('an attribute list has 9 entries; the limit is 8');
  });

  it('answers 400 for a value over the length limit', async () => {
    const result = await post(oneSpan((target) => target.attributes.push({ key: 'prompt', value: { stringValue: 'x'.repeat(101) } })), 'json');

    expect(result.status).toBe(400);
    expect(result.message).toBe('attribute "prompt" has a value of 101 characters; the limit is 100');
  });

  it('answers 400 for nesting over the depth limit', async () => {
    const result = await post(oneSpan((target) => target.attributes.push({ key: 'deep', value: nested(4) })), 'json');

    expect(result.status).toBe(400);
    expect(result.message).toBe('attribute "deep" nests arrays or key-value lists deeper than the limit of 3');
  });

  it('answers 400 before parsing JSON nested far too deep', async () => {
    const body = `{"resourceSpans":${'['.repeat(5_000)}${']'.repeat(5_000)}}`;

    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TEST_INGEST_TOKEN}` },
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^JSON body nests deeper than \d+ levels/);
  });

  it('answers 400 for too many events on a span', async () => {
    const data = oneSpan((target) => {
      for (let index = 0; index < 3; index += 1) target.events.push({ name: 'e', timeUnixNano: 1n, attributes: [] });
    });

    // The test JSON writer leaves events out, so this one goes as protobuf.
    expect((await post(data, 'protobuf')).status).toBe(400);
  });

  it('accepts a request at the limits', async () => {
    const data = oneSpan((target) => {
      target.attributes.push({ key: 'prompt', value: { stringValue: 'x'.repeat(100) } }, { key: 'deep', value: nested(3) });
    });

    expect((await post(data)).status).toBe(200);
    expect(sink.written).toHaveLength(1);
  });
});

describe('gateway credentials', () => {
  it('answers 401 without credentials and stores nothing', async () => {
    const response = await fetch(url, {
      method: 'POST',
      body: encodeTracesProtobuf(tracesData(agentSession({ sessionId: 'anonymous' }).spans)),
      headers: { 'Content-Type': 'application/x-protobuf' },
    });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
    expect(sink.written).toHaveLength(0);
  });

  it('answers 401 for an unknown token', async () => {
    const result = await post(tracesData(agentSession({ sessionId: 'unknown' }).spans), 'json', 'not-a-token');

    expect(result.status).toBe(401);
    expect(result.message).not.toContain('not-a-token');
  });

  it('answers 429 once a credential is over its rate', async () => {
    // A burst of two requests, then one more every 1000 s.
    const limited = await startGateway(new RateLimiter(0.001, 2));
    const data = tracesData(agentSession({ sessionId: 'rate' }).spans);
    try {
      const statuses = [];
      for (let index = 0; index < 3; index += 1) statuses.push((await post(data, 'json', TEST_INGEST_TOKEN, limited.url)).status);
      const last = await post(data, 'json', TEST_INGEST_TOKEN, limited.url);

      expect(statuses).toEqual([200, 200, 429]);
      expect(last.message).toBe('this credential is over its request rate limit; retry later');
    } finally {
      await closeServer(limited.server, 1_000);
    }
  });
});
