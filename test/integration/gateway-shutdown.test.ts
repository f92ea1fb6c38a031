import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { tracesData } from '../support/otlp-builders.ts';
import { describeCounts, expectAcknowledgedSpansStoredOnce, readStoredSpans } from '../support/exactly-once.ts';
import { pipelineEnv, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { buildLoadSession, createIngestHeaders, spanKey, startSpanLoad } from '../support/span-load.ts';

// The gateway runs in a child process that gets SIGTERM while a load runs
// and while one request is still sending its body. The writer runs here.

let pipeline: TestPipeline;
const gateways: ServiceProcess[] = [];

beforeAll(async () => {
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'sigterm',
    { SERVICES: 'writer' },
  );
});

afterAll(async () => {
  for (const gateway of gateways) gateway.kill();
  await pipeline?.stop();
});

async function startGatewayProcess(): Promise<ServiceProcess> {
  const env = pipelineEnv({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, pipeline.names, {
    SERVICES: 'gateway',
    // Longer than the wait for the exit below, so that only connections
    // closing on their own, not the cut at the end of the grace period, let
    // the gateway exit in time.
    SHUTDOWN_GRACE_MS: '120000',
  });
  const gateway = await startServiceProcess({ ...process.env, ...env });
  gateways.push(gateway);
  return gateway;
}

interface SlowRequest {
  /** Sends the rest of the body. */
  finish(): void;
  response: Promise<number>;
}

/**
 * Opens a POST that sends only half of its body. It resolves once the
 * gateway has read the headers and sent `100 Continue`, so the request
 * is in flight inside the gateway from then on.
 */
function openSlowRequest(port: number, body: Uint8Array, headers: Record<string, string>): Promise<SlowRequest> {
  const half = Math.floor(body.length / 2);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/traces',
      headers: { ...headers, 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length, Expect: '100-continue' },
    });
    const response = new Promise<number>((resolveResponse, rejectResponse) => {
      request.on('response', (incoming) => {
        incoming.resume();
        incoming.on('end', () => resolveResponse(incoming.statusCode ?? 0));
      });
      request.on('error', rejectResponse);
    });
    request.once('error', reject);
    request.on('continue', () => {
      request.write(body.subarray(0, half));
      resolve({ finish: () => request.end(body.subarray(half)), response });
    });
    request.flushHeaders();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('gateway SIGTERM', () => {
  it('finishes requests in flight, exits 0 and loses nothing', { timeout: 150_000 }, async () => {
    let gateway = await startGatewayProcess();
    let gatewayUrl = `http://127.0.0.1:${gateway.ports.gateway}`;
    const headers = await createIngestHeaders(pipeline.clickhouse);
    const load = startSpanLoad({
      headers,
      gatewayUrl: () => gatewayUrl,
      requestsPerSecond: 40,
      spansPerRequest: 20,
      maxOutstanding: 20,
      maxSessions: 3_000,
    });
    await waitFor(async () => (load.stats.spansAcknowledged >= 400 ? true : undefined), { what: 'spans acknowledged before SIGTERM' });

    const slowSpans = buildLoadSession(50, 'slow');
    const slow = await openSlowRequest(gateway.ports.gateway!, encodeTracesProtobuf(tracesData(slowSpans)), headers);
    const events: string[] = [];
    void gateway.exited.then(() => events.push('exited'));
    gateway.child.kill('SIGTERM');
    // The gateway has closed its listener once new connections are refused.
    await waitFor(async () => ((await refusesConnections(gateway.ports.gateway!)) ? true : undefined), {
      what: 'gateway to stop accepting connections',
    });
    slow.finish();
    const slowStatus = await slow.response;
    events.push('slow request answered');
    // The load keeps its keep-alive connections to the old gateway busy, so
    // this also checks that those connections do not hold the exit back.
    const exitCode = await waitFor(async () => Promise.race([gateway.exited, sleep(200).then(() => undefined)]), {
      what: 'the old gateway to exit',
    });

    // A new gateway takes over; the load's retries of refused requests go there.
    gateway = await startGatewayProcess();
    gatewayUrl = `http://127.0.0.1:${gateway.ports.gateway}`;
    const acknowledgedAtRestart = load.stats.spansAcknowledged;
    await waitFor(async () => (load.stats.spansAcknowledged >= acknowledgedAtRestart + 400 ? true : undefined), {
      what: 'spans acknowledged by the new gateway',
    });
    const stats = await load.stop();
    for (const item of slowSpans) stats.acknowledgedKeys.add(spanKey(item.traceId, item.spanId));
    stats.spansSent += slowSpans.length;
    stats.spansAcknowledged += slowStatus === 200 ? slowSpans.length : 0;
    const stored = await expectAcknowledgedSpansStoredOnce(pipeline.clickhouse, stats);
    console.info(describeCounts('gateway SIGTERM', stats, stored));

    expect(slowStatus).toBe(200);
    expect(events).toEqual(['slow request answered', 'exited']);
    expect(exitCode).toBe(0);
    expect((await readStoredSpans(pipeline.clickhouse)).keys.has(spanKey(slowSpans[0]!.traceId, slowSpans[0]!.spanId))).toBe(true);
  });
});
