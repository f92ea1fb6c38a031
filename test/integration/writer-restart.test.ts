import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, newTraceId, span, tracesData } from '../support/otlp-builders.ts';
import { countRows, pipelineEnv, startPipeline, waitFor, type TestPipeline, readJson } from '../support/pipeline.ts';

// The writer runs as its own process so that it can be killed with SIGKILL
// in the middle of a stream, the way a crash or an OOM kill ends it.

const mainScript = fileURLToPath(new URL('../../services/main.ts', import.meta.url));
let pipeline: TestPipeline;
const writers: ChildProcess[] = [];

function startWriterProcess(): ChildProcess {
  const env = pipelineEnv(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    pipeline.names,
        // The broker's minimum session timeout: the group notices the killed
    // writer sooner, and the test waits less for the rebalance.
    { SERVICES: 'writer', WRITER_MAX_BATCH_ROWS: '200', WRITER_FLUSH_INTERVAL_MS: '100', KAFKA_SESSION_TIMEOUT_MS: '6000' },
  );
  const child = spawn(process.execPath, [mainScript], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  writers.push(child);
  return child;
}

beforeAll(async () => {
  // The gateway and API run here; the writer runs in child processes.
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'restart',
    { SERVICES: 'gateway,api' },
  );
});

afterAll(async () => {
  for (const writer of writers) writer.kill('SIGKILL');
  await pipeline?.stop();
});

describe('writer restart', () => {
  it('leaves every span exactly once after SIGKILL mid-stream', async () => {
    const sessionCount = 40;
    const spansPerSession = 25;
    const sessionIds: string[] = [];
    const startMs = Date.now() - 120_000;
    const first = startWriterProcess();

    let acknowledged = 0;
    for (let index = 0; index < sessionCount; index += 1) {
      const sessionId = `restart-${index}-${newTraceId().slice(0, 8)}`;
      sessionIds.push(sessionId);
      const session = agentSession({ sessionId, startMs: startMs + index });
      const extra = Array.from({ length: spansPerSession - 3 }, (_, position) =>
        span({ traceId: session.traceId, parentSpanId: session.root.spanId, name: `step ${position}`, startMs: startMs + index + position }),
      );
      const response = await fetch(`${pipeline.gatewayUrl}/v1/traces`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-protobuf' },
        body: encodeTracesProtobuf(tracesData([...session.spans, ...extra])),
      });
      if (response.status === 200) acknowledged += spansPerSession;

      // Kill the writer once some, not all, spans are in ClickHouse.
      if (index === sessionCount / 2) {
        await waitFor(
          async () => ((await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events')) > 0 ? true : undefined),
          { what: 'first rows from the writer' },
        );
        first.kill('SIGKILL');
        await new Promise((resolve) => first.once('exit', resolve));
      }
    }
    const storedBeforeRestart = await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events FINAL');
    startWriterProcess();

    const total = sessionCount * spansPerSession;
    await waitFor(
      async () =>
        (await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events FINAL')) === total ? true : undefined,
      { timeoutMs: 60_000, what: `${total} spans stored` },
    );

    expect(acknowledged).toBe(total);
    expect(storedBeforeRestart).toBeLessThan(total);
    expect(await countRows(pipeline.clickhouse, 'SELECT uniqExact(TraceId, SpanId) AS count FROM audit_events')).toBe(total);
    for (const sessionId of [sessionIds[0]!, sessionIds[sessionCount / 2]!, sessionIds.at(-1)!]) {
      const timeline = await readJson(await fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/timeline`));
      const spanIds = timeline.steps.map((step: { spanId: string }) => step.spanId);
      expect(spanIds).toHaveLength(spansPerSession);
      expect(new Set(spanIds).size).toBe(spansPerSession);
    }
  });
});
