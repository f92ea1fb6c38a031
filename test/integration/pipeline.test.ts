import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TimelineResponse } from '../../schemas/api.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, newTraceId, span, tracesData } from '../support/otlp-builders.ts';
import { toOtlpJson } from '../support/otlp-json.ts';
import { countRows, startPipeline, waitFor, type TestPipeline, readJson } from '../support/pipeline.ts';

// Gateway -> Kafka -> writer -> ClickHouse -> API, all real, in this process.

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'pipeline');
});

afterAll(async () => {
  await pipeline?.stop();
});

async function postProtobuf(body: Uint8Array): Promise<Response> {
  return pipeline.fetch(`${pipeline.gatewayUrl}/v1/traces`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/x-protobuf' },
  });
}

async function readTimeline(sessionId: string, minimumSteps: number): Promise<TimelineResponse> {
  return waitFor(
    async () => {
      const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${encodeURIComponent(sessionId)}/timeline`);
      if (response.status !== 200) return undefined;
      const timeline = (await readJson(response)) as TimelineResponse;
      return timeline.steps.length >= minimumSteps ? timeline : undefined;
    },
    { what: `timeline of ${sessionId} with ${minimumSteps} steps` },
  );
}

describe('pipeline', () => {
  it('stores spans sent as protobuf and shows them as a timeline', async () => {
    const sessionId = `proto-${newTraceId()}`;
    const session = agentSession({ sessionId });

    const response = await postProtobuf(encodeTracesProtobuf(tracesData(session.spans)));
    const timeline = await readTimeline(sessionId, 3);

    expect(response.status).toBe(200);
    expect(timeline.steps.map((step) => [step.kind, step.spanId, step.depth])).toEqual([
      ['agent', session.root.spanId, 0],
      ['model_request', session.chat.spanId, 1],
      ['tool_call', session.tool.spanId, 1],
    ]);
    expect(timeline.steps[1]!.model).toBe('test-model');
    expect(timeline.steps[2]!.tool).toEqual({ name: 'lookup_order', callId: 'call-1' });
  });

  it('keeps the nanoseconds received', async () => {
    const sessionId = `nanos-${newTraceId()}`;
    const session = agentSession({ sessionId });
    session.root.startTimeUnixNano = BigInt(Date.now() - 1000) * 1_000_000n + 123_457n;

    await postProtobuf(encodeTracesProtobuf(tracesData(session.spans)));
    const timeline = await readTimeline(sessionId, 3);

    expect(timeline.steps[0]!.start).toMatch(/\.\d{3}123457Z$/);
  });

  it('gathers children that arrived before the root named the session', async () => {
    const sessionId = `late-root-${newTraceId()}`;
    const session = agentSession({ sessionId });

    // A batch span processor exports children first: they name no session.
    await postProtobuf(encodeTracesProtobuf(tracesData([session.chat, session.tool])));
    await waitFor(
      async () =>
        (await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events WHERE TraceId = {t:String}', {
          t: session.traceId,
        })) === 2 || undefined,
      { what: 'children stored' },
    );
    await postProtobuf(encodeTracesProtobuf(tracesData([session.root])));
    const timeline = await readTimeline(sessionId, 3);

    expect(timeline.steps.map((step) => step.spanId)).toEqual([session.root.spanId, session.chat.spanId, session.tool.spanId]);

    const list = await readJson(await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions?limit=500`));
    const ids = list.sessions.map((summary: { sessionId: string }) => summary.sessionId);
    expect(ids).toContain(sessionId);
    expect(ids).not.toContain(session.traceId);
  });

  it('merges the traces of one session', async () => {
    const sessionId = `two-traces-${newTraceId()}`;
    const first = agentSession({ sessionId, startMs: Date.now() - 20_000 });
    const second = agentSession({ sessionId, startMs: Date.now() - 10_000 });

    await postProtobuf(encodeTracesProtobuf(tracesData(second.spans)));
    await postProtobuf(encodeTracesProtobuf(tracesData(first.spans)));
    const timeline = await readTimeline(sessionId, 6);

    expect(timeline.traceIds).toEqual([first.traceId, second.traceId].sort());
    expect(timeline.steps.map((step) => step.traceId)).toEqual([...Array(3).fill(first.traceId), ...Array(3).fill(second.traceId)]);
  });

  it('lists sessions newest first with filters and a cursor', async () => {
    const tag = newTraceId().slice(0, 8);
    const base = Date.now() - 5_000;
    const sessionIds = [0, 1, 2].map((index) => `list-${tag}-${index}`);
    for (const [index, sessionId] of sessionIds.entries()) {
      const session = agentSession({ sessionId, startMs: base + index * 100, tool: `tool_${tag}` });
      await postProtobuf(encodeTracesProtobuf(tracesData(session.spans)));
    }
    await readTimeline(sessionIds[2]!, 3);
    await readTimeline(sessionIds[0]!, 3);

    const firstPage = await readJson(await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions?tool=tool_${tag}&limit=2`));
    const secondPage = await readJson(await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions?tool=tool_${tag}&limit=2&cursor=${firstPage.nextCursor}`));

    expect(firstPage.sessions.map((summary: { sessionId: string }) => summary.sessionId)).toEqual([sessionIds[2], sessionIds[1]]);
    expect(secondPage.sessions.map((summary: { sessionId: string }) => summary.sessionId)).toEqual([sessionIds[0]]);
    expect(secondPage.nextCursor).toBeNull();
    expect(firstPage.sessions[0].agents).toEqual(['support']);
    expect(firstPage.sessions[0].principals).toEqual(['user-7']);

    const byPrincipal = await readJson(await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions?tool=tool_${tag}&principal=nobody`));
    expect(byPrincipal.sessions).toEqual([]);
  });

  it('answers 400 for malformed OTLP and stores nothing', async () => {
    const traceId = newTraceId();
    const before = await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM otel_traces');

    const garbage = await postProtobuf(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
    const noIds = await pipeline.fetch(`${pipeline.gatewayUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: toOtlpJson(tracesData([{ ...span({ traceId, name: 'x', startMs: Date.now() }), spanId: '' }])),
    });
    // A valid request after the bad ones proves the writer has caught up.
    const marker = agentSession({ sessionId: `after-garbage-${traceId}` });
    await postProtobuf(encodeTracesProtobuf(tracesData(marker.spans)));
    await readTimeline(`after-garbage-${traceId}`, 3);

    expect(garbage.status).toBe(400);
    expect(noIds.status).toBe(400);
    expect((await readJson(noIds)).message).toBe('1 span(s) rejected: spanId is missing');
    expect(await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM otel_traces')).toBe(before + 3);
    expect(
      await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM otel_traces WHERE TraceId = {t:String}', { t: traceId }),
    ).toBe(0);
  });

  it('answers 404 as problem details for an unknown session', async () => {
    const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/no-such-session/timeline`);

    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await readJson(response)).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('answers 400 as problem details for an invalid filter', async () => {
    const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions?limit=0&colour=blue`);
    const problem = await readJson(response);

    expect(response.status).toBe(400);
    expect(problem.errors.map((error: { field: string }) => error.field).sort()).toEqual(['colour', 'limit']);
  });
});
