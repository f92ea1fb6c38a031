import type { Server } from 'node:http';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TracesData } from '../../schemas/otlp.ts';
import { createGatewayApp } from '../../services/gateway/app.ts';
import { GatewayTelemetry } from '../../services/gateway/gateway-telemetry.ts';
import type { SpanSink } from '../../services/gateway/span-sink.ts';
import { loadConfig } from '../../services/shared/config.ts';
import { listen, closeServer } from '../../services/shared/http-server.ts';
import { createIngestGuard } from '../../services/shared/ingest-guard.ts';
import { createMetrics } from '../../services/shared/metrics.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { createOpsRouter } from '../../services/shared/ops-routes.ts';
import { decodeTraces, type OtlpEncoding } from '../../services/shared/otlp/decode-traces.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { createReadiness } from '../../services/shared/readiness.ts';
import { buildSpanRows } from '../../services/shared/storage/span-store.ts';
import { agentSession, tracesData } from '../support/otlp-builders.ts';
import { toOtlpJson } from '../support/otlp-json.ts';
import { createTestGatewaySecurity, TEST_INGEST_TOKEN, testIngestIdentity } from '../support/security.ts';

// Property-based tests of the OTLP decoders with hostile bodies: random
// bytes, mutated valid messages, random JSON and OTLP-shaped JSON with wrong
// types. Whatever comes in, decoding returns a result instead of throwing,
// and whatever decodes also survives the limits, redaction, normalization
// and row building. Through HTTP every response is 200 or a 4xx.

const security = loadConfig({}).security;
const guard = createIngestGuard(security);
const seed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31);

/** Runs a body through everything between the HTTP parser and the sink, as the gateway does. */
function processBody(body: Uint8Array, encoding: OtlpEncoding): void {
  const decoded = decodeTraces(body, encoding);
  if (!decoded.ok) {
    expect(typeof decoded.reason).toBe('string');
    return;
  }
  const prepared = guard.prepare(decoded.data, testIngestIdentity, decoded.rejections.length);
  if (!prepared.ok) {
    expect([400, 413]).toContain(prepared.violation.httpStatus);
    return;
  }
  buildSpanRows(decoded.data, normalizeTraces(decoded.data));
  encodeTracesProtobuf(decoded.data);
}

const validProtobuf = encodeTracesProtobuf(tracesData(agentSession({ sessionId: 'fuzz' }).spans));
const validJson = toOtlpJson(tracesData(agentSession({ sessionId: 'fuzz' }).spans));

/** Generates a valid body with bytes flipped, inserted, deleted or cut off. */
function mutatedBytes(original: Uint8Array) {
  return fc
    .array(
      fc.oneof(
        fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte: fc.constant(0) }),
      ),
      { minLength: 1, maxLength: 8 },
    )
    .map((edits) => {
      const bytes = [...original];
      for (const edit of edits) {
        const at = bytes.length === 0 ? 0 : edit.at % bytes.length;
        if (edit.kind === 'set') bytes[at] = edit.byte;
        else if (edit.kind === 'insert') bytes.splice(at, 0, edit.byte);
        else if (edit.kind === 'delete') bytes.splice(at, 1);
        else bytes.length = at;
      }
      return Uint8Array.from(bytes);
    });
}

const hexDigit = fc.constantFrom(...'0123456789abcdefABCDEF');

const hostileValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt().map(String),
  fc.constant('9'.repeat(40)),
  fc.constant({ low: 1, high: -1 }),
  fc.array(fc.anything(), { maxLength: 3 }),
  fc.object({ maxDepth: 2 }),
);

/** OTLP/JSON whose structure is right and whose field values are anything. */
const otlpShapedJson = fc
  .record({
    traceId: fc.oneof(fc.string({ unit: hexDigit, maxLength: 40 }), hostileValue),
    spanId: fc.oneof(fc.string({ unit: hexDigit, maxLength: 20 }), hostileValue),
    parentSpanId: hostileValue,
    name: hostileValue,
    kind: hostileValue,
    startTimeUnixNano: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), hostileValue),
    endTimeUnixNano: hostileValue,
    attributes: fc.array(
      fc.record({
        key: fc.oneof(fc.string(), hostileValue),
        value: fc.oneof(
          fc.record({ stringValue: hostileValue }),
          fc.record({ intValue: hostileValue }),
          fc.record({ doubleValue: hostileValue }),
          fc.record({ bytesValue: hostileValue }),
          fc.record({ arrayValue: fc.record({ values: fc.array(fc.record({ stringValue: fc.string() }), { maxLength: 3 }) }) }),
          fc.record({ kvlistValue: hostileValue }),
          hostileValue,
        ),
      }),
      { maxLength: 4 },
    ),
    events: fc.oneof(fc.array(fc.record({ name: hostileValue, timeUnixNano: hostileValue }), { maxLength: 2 }), hostileValue),
    status: fc.oneof(fc.record({ code: hostileValue, message: hostileValue }), hostileValue),
  })
  .map((spanFields) => JSON.stringify({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: {}, spans: [spanFields] }] }] }));

/** Generates attribute values nested up to 3,000 levels deep, to probe the depth limit. */
const deepJson = fc.integer({ min: 1, max: 3_000 }).map((depth) => {
  const value = `${'{"arrayValue":{"values":['.repeat(depth)}{"stringValue":"x"}${']}}'.repeat(depth)}`;
  return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"${'1'.repeat(32)}","spanId":"${'2'.repeat(16)}","startTimeUnixNano":"1","attributes":[{"key":"deep","value":${value}}]}]}]}]}`;
});

const encoder = new TextEncoder();
const runs = 2_000;
// Thousands of runs take seconds, more when the other test files run at the same time.
const fuzzTimeoutMs = 120_000;

describe('OTLP decoders under fuzzing', { timeout: fuzzTimeoutMs }, () => {
  it('survive random bytes as protobuf', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (body) => processBody(body, 'protobuf')), { numRuns: runs, seed });
  });

  it('survive mutated protobuf messages', () => {
    fc.assert(fc.property(mutatedBytes(validProtobuf), (body) => processBody(body, 'protobuf')), { numRuns: runs, seed });
  });

  it('survive random JSON documents', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json({ maxDepth: 6 }), fc.string()), (text) => processBody(encoder.encode(text), 'json')),
      { numRuns: runs, seed },
    );
  });

  it('survive mutated OTLP/JSON', () => {
    fc.assert(fc.property(mutatedBytes(encoder.encode(validJson)), (body) => processBody(body, 'json')), { numRuns: runs, seed });
  });

  it('survive OTLP-shaped JSON with hostile values', () => {
    fc.assert(fc.property(otlpShapedJson, (text) => processBody(encoder.encode(text), 'json')), { numRuns: runs, seed });
  });

  it('survive deeply nested attribute values', () => {
    fc.assert(fc.property(deepJson, (text) => processBody(encoder.encode(text), 'json')), { numRuns: 200, seed });
  });
});

class CountingSink implements SpanSink {
  spans = 0;

  async write(data: TracesData): Promise<void> {
    buildSpanRows(data, normalizeTraces(data));
    for (const resourceSpans of data.resourceSpans) for (const scopeSpans of resourceSpans.scopeSpans) this.spans += scopeSpans.spans.length;
  }
}

describe('gateway under fuzzing', { timeout: fuzzTimeoutMs }, () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    const metrics = createMetrics();
    const logger = pino({ level: 'silent' });
    const app = createGatewayApp({
      sink: new CountingSink(),
      logger,
      maxRequestBodyBytes: 1024 * 1024,
      retryAfterSeconds: 1,
      maxConcurrentRequests: 64,
      telemetry: new GatewayTelemetry(metrics, logger),
      opsRoutes: createOpsRouter({ metrics, readiness: createReadiness({}) }),
      security: createTestGatewaySecurity(),
    });
    server = await listen(app, '127.0.0.1', 0);
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/traces`;
  });

  afterAll(async () => {
    await closeServer(server, 1_000);
  });

  it('answers every hostile body with 200 or a 4xx', async () => {
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((body) => ({ body, type: 'application/x-protobuf' })),
      mutatedBytes(validProtobuf).map((body) => ({ body, type: 'application/x-protobuf' })),
      otlpShapedJson.map((text) => ({ body: encoder.encode(text), type: 'application/json' })),
      deepJson.map((text) => ({ body: encoder.encode(text), type: 'application/json' })),
    );
    await fc.assert(
      fc.asyncProperty(bodies, async ({ body, type }) => {
        const response = await fetch(url, {
          method: 'POST',
          body,
          headers: { 'Content-Type': type, Authorization: `Bearer ${TEST_INGEST_TOKEN}` },
        });
        await response.arrayBuffer();
        expect([200, 400, 413]).toContain(response.status);
      }),
      { numRuns: 400, seed },
    );
  });
});
