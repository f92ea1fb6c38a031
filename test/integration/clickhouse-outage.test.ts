import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from '../infra/tcp-proxy.ts';
import { describeCounts, expectAcknowledgedSpansStoredOnce } from '../support/exactly-once.ts';
import { countRows, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { createIngestHeaders, startSpanLoad } from '../support/span-load.ts';

// The services reach ClickHouse through a proxy that the test cuts for 30
// seconds while spans keep arriving; the test reads ClickHouse directly.

const outageMs = 30_000;
const maxBatchRows = 500;
const spansPerRequest = 20;

let proxy: TcpProxy;
let pipeline: TestPipeline;

beforeAll(async () => {
  proxy = await startTcpProxy(Number(new URL(inject('clickhouseUrl')).port));
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'chdown',
    {
      SERVICES: 'gateway,writer',
      CLICKHOUSE_URL: `http://127.0.0.1:${proxy.port}`,
      WRITER_MAX_BATCH_ROWS: String(maxBatchRows),
      // Short enough that the writer notices the end of the outage soon.
      WRITER_INSERT_RETRY_MAX_MS: '2000',
    },
  );
});

afterAll(async () => {
  await proxy?.restore().catch(() => undefined);
  await pipeline?.stop();
  await proxy?.stop();
});

async function readGaugeSum(gauge: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await gauge.get()).values.reduce((sum, item) => sum + item.value, 0);
}

async function fetchStatus(url: string): Promise<number> {
  return (await fetch(url)).status;
}

describe('ClickHouse outage', () => {
  it('pauses the writer for 30 s without loss and catches up', async () => {
    const { metrics, gatewayPort, writerPort } = pipeline.running;
    const load = startSpanLoad({
      headers: await createIngestHeaders(pipeline.clickhouse),
      gatewayUrl: () => pipeline.gatewayUrl,
      requestsPerSecond: 20,
      spansPerRequest,
      maxOutstanding: 20,
      maxSessions: 3_000,
    });
    await waitFor(
      async () => ((await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events')) > 0 ? true : undefined),
      { what: 'first rows from the writer' },
    );
    const errorsBefore = await readGaugeSum(metrics.clickhouseInsertErrors);

    await proxy.cut();
    const acknowledgedAtCut = load.stats.spansAcknowledged;
    let maxBufferedRows = 0;
    let maxLagMessages = 0;
    const readyStatuses = { gateway: new Set<number>(), writer: new Set<number>() };
    const outageEnd = Date.now() + outageMs;
    // The outage lasts a fixed time by design; the loop samples the writer meanwhile.
    while (Date.now() < outageEnd) {
      maxBufferedRows = Math.max(maxBufferedRows, await readGaugeSum(metrics.writerBufferedRows));
      maxLagMessages = Math.max(maxLagMessages, await readGaugeSum(metrics.writerConsumerLag));
      readyStatuses.gateway.add(await fetchStatus(`http://127.0.0.1:${gatewayPort}/readyz`));
      readyStatuses.writer.add(await fetchStatus(`http://127.0.0.1:${writerPort}/readyz`));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const acknowledgedDuringOutage = load.stats.spansAcknowledged - acknowledgedAtCut;
    const insertErrors = (await readGaugeSum(metrics.clickhouseInsertErrors)) - errorsBefore;
    await proxy.restore();

    const stats = await load.stop();
    const stored = await expectAcknowledgedSpansStoredOnce(pipeline.clickhouse, stats);
    console.info(`${describeCounts('ClickHouse outage', stats, stored)} acknowledgedDuringOutage=${acknowledgedDuringOutage} `
      + `maxBufferedRows=${maxBufferedRows} maxLagMessages=${maxLagMessages} insertErrors=${insertErrors}`);

    // The gateway kept taking spans, which waited in Kafka, not in the writer.
    expect(acknowledgedDuringOutage).toBeGreaterThan(0);
    expect(maxBufferedRows).toBeLessThanOrEqual(2 * maxBatchRows + spansPerRequest);
    expect(maxLagMessages * spansPerRequest).toBeGreaterThan(2 * maxBatchRows);
    // Retried, with backoff: retrying every 200 ms would fail 150 times in 30 s.
    expect(insertErrors).toBeGreaterThanOrEqual(3);
    expect(insertErrors).toBeLessThan(75);
    // Only the writer needs ClickHouse, so only the writer went unready.
    expect([...readyStatuses.gateway]).toEqual([200]);
    expect(readyStatuses.writer.has(503)).toBe(true);
    expect(await fetchStatus(`http://127.0.0.1:${writerPort}/readyz`)).toBe(200);
  }, 150_000);
});
