import type { Server } from 'node:http';
import express from 'express';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TracesData } from '../../schemas/otlp.ts';
import { createGatewayApp } from '../../services/gateway/app.ts';
import { GatewayTelemetry } from '../../services/gateway/gateway-telemetry.ts';
import type { SpanSink } from '../../services/gateway/span-sink.ts';
import { AuditError } from '../../services/shared/errors.ts';
import { listen, closeServer } from '../../services/shared/http-server.ts';
import { createMetrics } from '../../services/shared/metrics.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { countSpans } from '../../services/shared/otlp/validate.ts';
import { agentSession, tracesData } from '../support/otlp-builders.ts';
import { toOtlpJson } from '../support/otlp-json.ts';
import { createTestGatewaySecurity, TEST_INGEST_TOKEN } from '../support/security.ts';

// The gateway's HTTP contract, with the sink replaced by one that records
// what it is given. Kafka and ClickHouse behind the sink are covered by the
// integration tests.

class RecordingSink implements SpanSink {
  written: TracesData[] = [];
  failWith: AuditError | null = null;

  async write(data: TracesData): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.written.push(data);
  }
}

const root = protobuf.loadSync(new URL('../../schemas/otlp/otlp.proto', import.meta.url).pathname);
const ResponseType = root.lookupType('opentelemetry.proto.ExportTraceServiceResponse');
const StatusType = root.lookupType('opentelemetry.proto.RpcStatus');

const sink = new RecordingSink();
let server: Server;
let url: string;

beforeAll(async () => {
  const app = createGatewayApp({
    sink,
    logger: pino({ level: 'silent' }),
    maxRequestBodyBytes: 64 * 1024,
    retryAfterSeconds: 7,
    maxConcurrentRequests: 16,
    security: createTestGatewaySecurity(),
    telemetry: new GatewayTelemetry(createMetrics(), pino({ level: 'silent' })),
    opsRoutes: express.Router(),
  });
  server = await listen(app, '127.0.0.1', 0);
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
});

afterAll(async () => {
  await closeServer(server, 1_000);
});

beforeEach(() => {
  sink.written = [];
  sink.failWith = null;
});

function post(body: Uint8Array | string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers: { Authorization: `Bearer ${TEST_INGEST_TOKEN}`, ...headers } });
}

describe('gateway POST /v1/traces', () => {
  it('accepts protobuf and answers with an empty protobuf response', async () => {
    const data = tracesData(agentSession({ sessionId: 'p' }).spans);

    const response = await post(encodeTracesProtobuf(data), { 'Content-Type': 'application/x-protobuf' });

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    expect((await response.arrayBuffer()).byteLength).toBe(0);
    expect(countSpans(sink.written[0]!)).toBe(3);
  });

  it('accepts JSON with an upper-case content type and charset', async () => {
    const data = tracesData(agentSession({ sessionId: 'j' }).spans);

    const response = await post(toOtlpJson(data), { 'Content-Type': 'Application/JSON; charset=utf-8' });

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(countSpans(sink.written[0]!)).toBe(3);
  });

  it('inflates gzip bodies', async () => {
    const data = tracesData(agentSession({ sessionId: 'g' }).spans);

    const response = await post(gzipSync(encodeTracesProtobuf(data)), {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'gzip',
    });

    expect(response.status).toBe(200);
    expect(countSpans(sink.written[0]!)).toBe(3);
  });

  it('reports rejected spans as partial success in protobuf', async () => {
    const session = agentSession({ sessionId: 'partial' });
    session.tool.spanId = '';

    const response = await post(encodeTracesProtobuf(tracesData(session.spans)), { 'Content-Type': 'application/x-protobuf' });
    const decoded = ResponseType.toObject(ResponseType.decode(new Uint8Array(await response.arrayBuffer())), { longs: Number });

    expect(response.status).toBe(200);
    expect(decoded['partialSuccess']).toEqual({ rejectedSpans: 1, errorMessage: '1 span(s) rejected: spanId is missing' });
    expect(countSpans(sink.written[0]!)).toBe(2);
  });

  it('answers 400 with a status when every span is invalid', async () => {
    const session = agentSession({ sessionId: 'bad' });
    for (const span of session.spans) span.traceId = '';

    const response = await post(encodeTracesProtobuf(tracesData(session.spans)), { 'Content-Type': 'application/x-protobuf' });
    const status = StatusType.toObject(StatusType.decode(new Uint8Array(await response.arrayBuffer())));

    expect(response.status).toBe(400);
    expect(status['message']).toBe('3 span(s) rejected: traceId is missing');
    expect(sink.written).toHaveLength(0);
  });

  it('answers 400 for a body that does not decode', async () => {
    const response = await post('{"resourceSpans": [', { 'Content-Type': 'application/json' });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^JSON body did not decode: body is not valid JSON/);
    expect(sink.written).toHaveLength(0);
  });

  it('answers 415 for another media type', async () => {
    const response = await post('x', { 'Content-Type': 'text/plain' });

    expect(response.status).toBe(415);
    expect(((await response.json()) as { message: string }).message).toMatch(/unsupported Content-Type "text\/plain"/);
  });

  it('answers 413 above the body limit, measured after inflating', async () => {
    const large = gzipSync(Buffer.alloc(200 * 1024, 0x20));

    const response = await post(large, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });

    expect(response.status).toBe(413);
    expect(((await response.json()) as { message: string }).message).toMatch(/exceeds the limit of 65536 bytes/);
  });

  it('answers 503 with Retry-After when the sink is unavailable', async () => {
    sink.failWith = new AuditError('unavailable', 'Kafka did not accept the spans; retry later');

    const response = await post(encodeTracesProtobuf(tracesData(agentSession({ sessionId: 'down' }).spans)), {
      'Content-Type': 'application/x-protobuf',
    });

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('7');
  });

  it('accepts an empty request', async () => {
    const response = await post(new Uint8Array(), { 'Content-Type': 'application/x-protobuf' });

    expect(response.status).toBe(200);
    expect(sink.written).toHaveLength(0);
  });
});

describe('gateway other routes', () => {
  it('answers 405 with Allow to GET /v1/traces', async () => {
    const response = await fetch(url);
    const body = (await response.json()) as { code: number; message: string };

    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(body).toEqual({ code: 12, message: 'GET is not allowed on /v1/traces; send OTLP with POST' });
  });

  it('answers 404 in JSON to an unknown path', async () => {
    const response = await fetch(new URL('/v1/metrics', url), { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    const body = (await response.json()) as { code: number; message: string };

    expect(response.status).toBe(404);
    expect(body.message).toBe('no route POST /v1/metrics; OTLP/HTTP takes POST /v1/traces and POST /v1/logs');
  });
});
