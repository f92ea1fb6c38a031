import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeCounts, expectAcknowledgedSpansStoredOnce } from '../support/exactly-once.ts';
import { pipelineEnv, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { readPeakRssBytes, startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { createIngestHeaders, startSpanLoad } from '../support/span-load.ts';

// A burst of ten times the sustained rate against a gateway in a child
// process, so that its peak memory can be read from /proc. The writer runs here.

// The gateway takes the sustained rate with room to spare on a 2-core
// machine that also runs the writer, Kafka and ClickHouse. The burst sends
// ten times that rate as one group of sessions a second, the way exporters
// whose batch timers line up flush together. How fast the gateway drains a
// group depends on the machine. Each request waits for a broker round trip,
// and the gateway reads requests that arrive together before the broker
// acknowledges the first produce, so a group of 100 puts more than 4 in
// flight even on a fast machine.
const maxConcurrentRequests = 4;
const sustainedRate = 10;
const burstGroupIntervalMs = 1_000;
const burstSessions = 300;
const rssLimitBytes = 512 * 1024 * 1024;

let pipeline: TestPipeline;
let gateway: ServiceProcess | undefined;

beforeAll(async () => {
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'burst',
    { SERVICES: 'writer' },
  );
  const env = pipelineEnv({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, pipeline.names, {
    SERVICES: 'gateway',
    GATEWAY_MAX_CONCURRENT_REQUESTS: String(maxConcurrentRequests),
    RETRY_AFTER_SECONDS: '1',
  });
  gateway = await startServiceProcess({ ...process.env, ...env });
});

afterAll(async () => {
  gateway?.kill();
  await pipeline?.stop();
});

describe('gateway burst', () => {
  it('answers 429 with Retry-After to a 10x burst and loses nothing', async () => {
    const gatewayUrl = `http://127.0.0.1:${gateway!.ports.gateway}`;
    const load = startSpanLoad({
      headers: await createIngestHeaders(pipeline.clickhouse),
      gatewayUrl: () => gatewayUrl,
      requestsPerSecond: sustainedRate,
      spansPerRequest: 20,
      maxOutstanding: 10,
      maxSessions: 5_000,
    });
    await waitFor(async () => (load.stats.spansAcknowledged >= 200 ? true : undefined), { what: 'sustained load acknowledged' });

    const startedBeforeBurst = load.stats.sessionsStarted;
    load.setRate(10 * sustainedRate, 100, burstGroupIntervalMs);
    await waitFor(async () => (load.stats.sessionsStarted >= startedBeforeBurst + burstSessions ? true : undefined), {
      what: `${burstSessions} sessions of the burst started`,
    });
    load.setRate(sustainedRate, 10);

    const stats = await load.stop();
    const peakRssBytes = readPeakRssBytes(gateway!.child.pid!);
    const health = await fetch(`${gatewayUrl}/healthz`);
    const stored = await expectAcknowledgedSpansStoredOnce(pipeline.clickhouse, stats);
    console.info(`${describeCounts('gateway burst', stats, stored)} peakRssMiB=${Math.round(peakRssBytes / 2 ** 20)}`);

    expect(stats.responses['429'] ?? 0).toBeGreaterThan(0);
    expect(stats.retryAfterMissing).toBe(0);
    expect(peakRssBytes).toBeLessThan(rssLimitBytes);
    expect(gateway!.child.exitCode).toBeNull();
    expect(health.status).toBe(200);
  });
});
