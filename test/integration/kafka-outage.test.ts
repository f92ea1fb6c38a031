import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startKafkaBroker, type KafkaBroker } from '../infra/kafka-broker.ts';
import { describeCounts, expectAcknowledgedSpansStoredOnce } from '../support/exactly-once.ts';
import { startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { createIngestHeaders, startSpanLoad } from '../support/span-load.ts';

// A broker of its own, so that stopping it leaves the other test files'
// broker alone. It keeps its data and ports across the restart.

let broker: KafkaBroker;
let pipeline: TestPipeline;

beforeAll(async () => {
  broker = await startKafkaBroker({
    logFile: fileURLToPath(new URL('../../.cache/logs/kafka-outage-broker.log', import.meta.url)),
  });
  pipeline = await startPipeline(
    { kafkaBrokers: broker.brokers, clickhouseUrl: inject('clickhouseUrl') },
    'kafkadown',
    {
      SERVICES: 'gateway,writer',
      // The gateway gives up on Kafka sooner, so exporters hear 503 sooner.
      KAFKA_PRODUCE_TIMEOUT_MS: '2000',
      RETRY_AFTER_SECONDS: '1',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    },
  );
});

afterAll(async () => {
  await pipeline?.stop();
  await broker?.stop();
});

async function readReadiness(port: number | null): Promise<{ status: number; kafka: string }> {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`);
  const body = (await response.json()) as { checks: { kafka: string } };
  return { status: response.status, kafka: body.checks.kafka };
}

describe('Kafka outage', () => {
  it('answers 503 while the broker is down and loses nothing', async () => {
    const { gatewayPort } = pipeline.running;
    const load = startSpanLoad({
      headers: await createIngestHeaders(pipeline.clickhouse),
      gatewayUrl: () => pipeline.gatewayUrl,
      requestsPerSecond: 20,
      spansPerRequest: 20,
      maxOutstanding: 20,
      maxSessions: 3_000,
    });
    await waitFor(async () => (load.stats.spansAcknowledged >= 200 ? true : undefined), { what: 'spans acknowledged before the outage' });

    await broker.halt();
    const unready = await waitFor(
      async () => {
        const readiness = await readReadiness(gatewayPort);
        return readiness.status === 503 ? readiness : undefined;
      },
      { what: 'gateway /readyz 503' },
    );
    await waitFor(async () => ((load.stats.responses['503'] ?? 0) >= 10 ? true : undefined), { what: 'ten 503 answers' });
    const acknowledgedBeforeRestart = load.stats.spansAcknowledged;

    await broker.resume();
    await waitFor(async () => (load.stats.spansAcknowledged >= acknowledgedBeforeRestart + 400 ? true : undefined), {
      timeoutMs: 60_000,
      what: 'spans acknowledged after the broker restarted',
    });
    const stats = await load.stop();
    const stored = await expectAcknowledgedSpansStoredOnce(pipeline.clickhouse, stats);
    console.info(describeCounts('Kafka outage', stats, stored));

    expect(unready.kafka).not.toBe('ok');
    expect(stats.retryAfterMissing).toBe(0);
    expect((await readReadiness(gatewayPort)).status).toBe(200);
  }, 150_000);
});
