import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TimelineResponse } from '../../schemas/api.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { encodeLogsProtobuf } from '../../services/shared/otlp/logs-codec.ts';
import { agentSession, logsData, newSpanId, newTraceId, span, tracesData } from '../support/otlp-builders.ts';
import { readJson, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// Sessions stitched across traces and services, and messy traffic, through
// gateway, Kafka, writer, ClickHouse and API.

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'stitching');
});

afterAll(async () => {
  await pipeline?.stop();
});

async function post(path: string, body: Uint8Array | string, contentType = 'application/x-protobuf'): Promise<Response> {
  return pipeline.fetch(`${pipeline.gatewayUrl}${path}`, { method: 'POST', body, headers: { 'Content-Type': contentType } });
}

async function readTimeline(sessionId: string, ready: (timeline: TimelineResponse) => boolean): Promise<TimelineResponse> {
  return waitFor(
    async () => {
      const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${encodeURIComponent(sessionId)}/timeline`);
      if (response.status !== 200) return undefined;
      const timeline = (await readJson(response)) as TimelineResponse;
      return ready(timeline) ? timeline : undefined;
    },
    { what: `timeline of ${sessionId}` },
  );
}

describe('session stitching', () => {
  it('reads an MCP server trace in another service into the agent session', async () => {
    const sessionId = `mcp-cross-${newTraceId()}`;
    const agent = agentSession({ sessionId });
    const mcpIds = { 'mcp.method.name': 'tools/call', 'mcp.session.id': `mcp-${newSpanId()}`, 'jsonrpc.request.id': 3 };
    const client = span({
      traceId: agent.traceId,
      parentSpanId: agent.tool.spanId,
      name: 'tools/call lookup_order',
      kind: 3,
      startMs: Date.now() - 59_870,
      attributes: mcpIds,
    });
    const serverTraceId = newTraceId();
    const server = span({ traceId: serverTraceId, name: 'tools/call lookup_order', kind: 2, startMs: Date.now() - 59_869, attributes: mcpIds });
    const query = span({
      traceId: serverTraceId,
      parentSpanId: server.spanId,
      name: 'SELECT shop.orders',
      startMs: Date.now() - 59_868,
      attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'db.collection.name': 'orders' },
    });

    // The server exports first, knowing nothing of the agent's session.
    await post('/v1/traces', encodeTracesProtobuf(tracesData([server, query], { 'service.name': 'orders-mcp' })));
    await post('/v1/traces', encodeTracesProtobuf(tracesData([...agent.spans, client])));
    const timeline = await readTimeline(sessionId, (candidate) => candidate.steps.length === 6);
    const clientIndex = timeline.steps.findIndex((step) => step.spanId === client.spanId);

    expect(timeline.traceIds).toEqual([agent.traceId, serverTraceId].sort());
    expect(timeline.steps[clientIndex + 1]).toMatchObject({ spanId: server.spanId, service: 'orders-mcp', depth: timeline.steps[clientIndex]!.depth + 1 });
    expect(timeline.steps[clientIndex + 1]!.placedUnder?.reason).toMatch(/MCP client span of the same request/);
    expect(timeline.steps[clientIndex + 2]).toMatchObject({ spanId: query.spanId, kind: 'data_access', resource: 'postgresql:shop.orders' });
  });

  it('reads a trace that links to the session into it', async () => {
    const sessionId = `linked-${newTraceId()}`;
    const agent = agentSession({ sessionId });
    const job = span({ traceId: newTraceId(), name: 'refund batch job', startMs: Date.now() - 30_000 });
    job.links.push({ traceId: agent.traceId, spanId: agent.tool.spanId, traceState: '', attributes: [] });

    await post('/v1/traces', encodeTracesProtobuf(tracesData(agent.spans)));
    await post('/v1/traces', encodeTracesProtobuf(tracesData([job], { 'service.name': 'refund-worker' })));
    const timeline = await readTimeline(sessionId, (candidate) => candidate.steps.length === 4);

    expect(timeline.steps.find((step) => step.spanId === job.spanId)?.placedUnder?.spanId).toBe(agent.tool.spanId);
  });

  it('batches hours apart, out of order', async () => {
    const sessionId = `hours-${newTraceId()}`;
    const hour = 3_600_000;
    const agent = agentSession({ sessionId, startMs: Date.now() - 5 * hour });
    const later = span({
      traceId: agent.traceId,
      parentSpanId: agent.root.spanId,
      name: 'execute_tool send_email',
      startMs: Date.now() - 2 * hour,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.call.id': 'call-late' },
    });

    await post('/v1/traces', encodeTracesProtobuf(tracesData([agent.tool, later])));
    await post('/v1/traces', encodeTracesProtobuf(tracesData([agent.root])));
    const first = await readTimeline(sessionId, (candidate) => candidate.steps.length === 3);
    await post('/v1/traces', encodeTracesProtobuf(tracesData([agent.chat])));
    const second = await readTimeline(sessionId, (candidate) => candidate.steps.length === 4);

    expect(first.steps.map((step) => step.spanId)).toEqual([agent.root.spanId, agent.tool.spanId, later.spanId]);
    expect(second.steps.map((step) => [step.spanId, step.depth, step.orphaned])).toEqual([
      [agent.root.spanId, 0, false],
      [agent.chat.spanId, 1, false],
      [agent.tool.spanId, 1, false],
      [later.spanId, 1, false],
    ]);
  });

  it('spans days and keeps a span ending before its start', async () => {
    // The timeline reads only the daily partitions that the session index
    // names for the session's traces, so a session over three days, sent in
    // separate batches, must still come back whole.
    const sessionId = `days-${newTraceId()}`;
    const day = 86_400_000;
    const agent = agentSession({ sessionId, startMs: Date.now() - 3 * day });
    const nextDay = span({
      traceId: agent.traceId,
      parentSpanId: agent.root.spanId,
      name: 'execute_tool send_email',
      startMs: Date.now() - 2 * day,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.call.id': 'call-next-day' },
    });
    const backwards = span({
      traceId: agent.traceId,
      parentSpanId: agent.root.spanId,
      name: 'execute_tool archive',
      startMs: Date.now() - day,
      attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.call.id': 'call-backwards' },
    });
    backwards.endTimeUnixNano = backwards.startTimeUnixNano - 2n * BigInt(day) * 1_000_000n;

    await post('/v1/traces', encodeTracesProtobuf(tracesData(agent.spans)));
    await post('/v1/traces', encodeTracesProtobuf(tracesData([nextDay])));
    await post('/v1/traces', encodeTracesProtobuf(tracesData([backwards])));
    const timeline = await readTimeline(sessionId, (candidate) => candidate.steps.length === 5);

    expect(timeline.steps.map((step) => step.spanId)).toEqual([
      agent.root.spanId,
      agent.chat.spanId,
      agent.tool.spanId,
      nextDay.spanId,
      backwards.spanId,
    ]);
  });

  it('folds coding-agent tool decisions sent as logs into the session', async () => {
    const sessionId = `decisions-${newTraceId()}`;
    const record = (decision: string, tool: string, offsetMs: number) => ({
      timeUnixNano: BigInt(Date.now() - 10_000 + offsetMs) * 1_000_000n,
      observedTimeUnixNano: 0n,
      severityNumber: 9,
      severityText: 'INFO',
      body: { stringValue: 'claude_code.tool_decision' },
      attributes: [
        { key: 'event.name', value: { stringValue: 'tool_decision' } },
        { key: 'session.id', value: { stringValue: sessionId } },
        { key: 'tool_name', value: { stringValue: tool } },
        { key: 'decision', value: { stringValue: decision } },
        { key: 'source', value: { stringValue: 'user_temporary' } },
      ],
      traceId: '',
      spanId: '',
      eventName: 'claude_code.tool_decision',
    });
    const body = encodeLogsProtobuf(
      logsData(
        [record('accept', 'Bash', 0), record('reject', 'Write', 100)],
        [{ key: 'service.name', value: { stringValue: 'claude-code' } }],
        'com.anthropic.claude_code.events',
      ),
    );

    const response = await post('/v1/logs', body);
    const timeline = await readTimeline(sessionId, (candidate) => candidate.steps.length === 2);

    expect(response.status).toBe(200);
    expect(timeline.steps.map((step) => [step.kind, step.tool?.name, step.decision?.decision, step.signal])).toEqual([
      ['approval', 'Bash', 'accept', 'log'],
      ['approval', 'Write', 'reject', 'log'],
    ]);
  });
});

describe('messy traffic at the gateway', () => {
  it('logs payload on the traces path', async () => {
    const logs = encodeLogsProtobuf(
      logsData([
        {
          timeUnixNano: BigInt(Date.now()) * 1_000_000n,
          observedTimeUnixNano: 0n,
          severityNumber: 9,
          severityText: '',
          body: { stringValue: 'hello' },
          attributes: [],
          traceId: newTraceId(),
          spanId: newSpanId(),
          eventName: 'gen_ai.choice',
        },
      ]),
    );

    const protobuf = await post('/v1/traces', logs);
    const json = await post('/v1/traces', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }), 'application/json');

    expect(protobuf.status).toBe(400);
    expect(json.status).toBe(400);
    expect((await readJson(json)).message).toBe('body is an OTLP logs request (ExportLogsServiceRequest), not traces; send logs to /v1/logs');
  });

  it('base64 and empty ids', async () => {
    const sessionId = `ids-${newTraceId()}`;
    const good = agentSession({ sessionId });
    const document = {
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [
            {
              scope: { name: 'test' },
              spans: [
                { traceId: Buffer.from(newTraceId(), 'hex').toString('base64'), spanId: 'AAAAAAAAAAE=', name: 'b64', startTimeUnixNano: '1' },
                { traceId: '', spanId: '', name: 'empty', startTimeUnixNano: '1' },
                {
                  traceId: good.traceId.toUpperCase(),
                  spanId: good.root.spanId.toUpperCase(),
                  name: good.root.name,
                  startTimeUnixNano: good.root.startTimeUnixNano.toString(),
                  endTimeUnixNano: good.root.endTimeUnixNano.toString(),
                  attributes: [{ key: 'gen_ai.conversation.id', value: { stringValue: sessionId } }],
                },
              ],
            },
          ],
        },
      ],
    };
    const onlyBad = { resourceSpans: [{ scopeSpans: [{ spans: [document.resourceSpans[0]!.scopeSpans[0]!.spans[1]] }] }] };

    const partial = await post('/v1/traces', JSON.stringify(document), 'application/json');
    const refused = await post('/v1/traces', JSON.stringify(onlyBad), 'application/json');
    const timeline = await readTimeline(sessionId, (candidate) => candidate.steps.length === 1);

    expect(partial.status).toBe(200);
    expect((await readJson(partial)).partialSuccess).toEqual({
      rejectedSpans: '2',
      errorMessage:
        '1 span(s) rejected: traceId is not hex; OTLP/JSON encodes trace and span ids as hex, not base64; 1 span(s) rejected: traceId is missing',
    });
    expect(refused.status).toBe(400);
    expect((await readJson(refused)).message).toBe('1 span(s) rejected: traceId is missing');
    expect(timeline.steps[0]).toMatchObject({ spanId: good.root.spanId, traceId: good.traceId });
  });
});
