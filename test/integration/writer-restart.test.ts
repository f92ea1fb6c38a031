import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { describeCounts, expectAcknowledgedSpansStoredOnce } from '../support/exactly-once.ts';
import { countRows, pipelineEnv, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.ts';
import { createIngestHeaders, startSpanLoad } from '../support/span-load.ts';

// The writer runs as its own process so that it can be killed with SIGKILL
// in the middle of a batch, the way a crash or an OOM kill ends it.

let pipeline: TestPipeline;
const writers: ServiceProcess[] = [];

function startWriterProcess(): Promise<ServiceProcess> {
  const env = pipelineEnv(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    pipeline.names,
    // The broker's minimum session timeout: the group notices the killed
    // writer sooner, and the test waits less for the rebalance.
    { SERVICES: 'writer', WRITER_MAX_BATCH_ROWS: '200', WRITER_FLUSH_INTERVAL_MS: '100', KAFKA_SESSION_TIMEOUT_MS: '6000' },
  );
  return startServiceProcess({ ...process.env, ...env }).then((writer) => {
    writers.push(writer);
    return writer;
  });
}

beforeAll(async () => {
  // The gateway runs here; the writer runs in child processes.
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'restart',
    { SERVICES: 'gateway' },
  );
});

afterAll(async () => {
  for (const writer of writers) writer.kill();
  await pipeline?.stop();
});

describe('writer restart', () => {
  it('keeps every acknowledged span once after SIGKILL mid-batch', async () => {
    const first = await startWriterProcess();
    const load = startSpanLoad({
      headers: await createIngestHeaders(pipeline.clickhouse),
      gatewayUrl: () => pipeline.gatewayUrl,
      requestsPerSecond: 40,
      spansPerRequest: 20,
      maxOutstanding: 20,
      maxSessions: 3_000,
    });

    // Kill the writer while spans stream in and some are already stored.
    await waitFor(
      async () => ((await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events')) >= 400 ? true : undefined),
      { what: 'first rows from the writer' },
    );
    first.kill();
    await first.exited;
    const acknowledgedAtKill = load.stats.spansAcknowledged;
    const storedAtKill = await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events FINAL');

    // The gateway keeps acknowledging while no writer runs, and the spans wait in Kafka.
    await waitFor(async () => (load.stats.spansAcknowledged >= acknowledgedAtKill + 400 ? true : undefined), {
      what: 'spans acknowledged while no writer runs',
    });
    await startWriterProcess();
    const stats = await load.stop();
    const stored = await expectAcknowledgedSpansStoredOnce(pipeline.clickhouse, stats);
    console.info(describeCounts('writer SIGKILL', stats, stored));

    expect(storedAtKill).toBeLessThan(stats.spansAcknowledged);
  });
});
