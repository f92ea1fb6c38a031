import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../services/api/timeline.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { agentSession, newTraceId, span, tracesData } from '../support/otlp-builders.ts';

// How the timeline stitches one piece of agent work: tool calls linked to
// the model requests that asked for them, MCP servers in other traces,
// span links, sub-agents and hand-offs.

function chatWithToolCalls(traceId: string, parentSpanId: string, startMs: number, calls: { id: string; name: string }[]) {
  return span({
    traceId,
    parentSpanId,
    name: 'chat m',
    startMs,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'm',
      'gen_ai.output.messages': JSON.stringify([
        { role: 'assistant', parts: calls.map((call) => ({ type: 'tool_call', id: call.id, name: call.name, arguments: {} })) },
      ]),
    },
  });
}

function toolSpan(traceId: string, parentSpanId: string, startMs: number, name: string, callId: string) {
  return span({
    traceId,
    parentSpanId,
    name: `execute_tool ${name}`,
    startMs,
    attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, 'gen_ai.tool.call.id': callId },
  });
}

/**
 * Builds a model request and the tool call it requested, both starting in
 * the same millisecond, with the tool call ending sooner (0.3 ms against 0.9).
 */
function tiedRequestAndToolCall() {
  const session = agentSession({ sessionId: 's', startMs: 1_000 });
  const chat = chatWithToolCalls(session.traceId, session.root.spanId, 1_010, [{ id: 'call-1', name: 'lookup_order' }]);
  chat.endTimeUnixNano = chat.startTimeUnixNano + 900_000n;
  const tool = toolSpan(session.traceId, session.root.spanId, 1_010, 'lookup_order', 'call-1');
  tool.endTimeUnixNano = tool.startTimeUnixNano + 300_000n;
  return { session, chat, tool };
}

describe('tool call linking', () => {
  it('links a requested call to the span that executed it', () => {
    const session = agentSession({ sessionId: 's', startMs: 1_000 });
    const chat = chatWithToolCalls(session.traceId, session.root.spanId, 1_010, [{ id: 'call-1', name: 'lookup_order' }]);
    const steps = buildTimeline(normalizeTraces(tracesData([session.root, chat, session.tool])));
    const model = steps.find((step) => step.spanId === chat.spanId)!;
    const tool = steps.find((step) => step.spanId === session.tool.spanId)!;

    expect(model.toolCalls).toEqual([
      { callId: 'call-1', name: 'lookup_order', executed: true, executedBy: [{ traceId: session.traceId, spanId: session.tool.spanId }] },
    ]);
    expect(tool.requestedBy).toEqual({ traceId: session.traceId, spanId: chat.spanId });
    expect(steps.some((step) => step.synthetic)).toBe(false);
  });

  it('puts the requester first on a tied start', () => {
    // SDKs that take start times from Date.now() can give a model request and
    // the tool call right after it the same millisecond. The tool call ends
    // sooner here and must still follow the request that asked for it.
    const { session, chat, tool } = tiedRequestAndToolCall();

    for (const order of [[chat, tool], [tool, chat]]) {
      const steps = buildTimeline(normalizeTraces(tracesData([session.root, ...order])));

      expect(steps.map((step) => step.spanId)).toEqual([session.root.spanId, chat.spanId, tool.spanId]);
    }
  });

  it('orders tied siblings the same for any arrival order', () => {
    // With a third sibling whose duration lies between the two, a pairwise
    // rule for the requester would form a cycle and the order would depend
    // on the order the spans arrived in.
    const { session, chat, tool } = tiedRequestAndToolCall();
    const other = span({ traceId: session.traceId, parentSpanId: session.root.spanId, name: 'retrieve', startMs: 1_010, durationMs: 0.6 });
    const permutations = [
      [chat, tool, other], [chat, other, tool], [tool, chat, other],
      [tool, other, chat], [other, chat, tool], [other, tool, chat],
    ];

    for (const order of permutations) {
      const steps = buildTimeline(normalizeTraces(tracesData([session.root, ...order])));

      expect(steps.map((step) => step.spanId)).toEqual([session.root.spanId, other.spanId, chat.spanId, tool.spanId]);
    }
  });

  it('shows a requested call with no execution as requested, not executed', () => {
    const session = agentSession({ sessionId: 's', startMs: 1_000 });
    const chat = chatWithToolCalls(session.traceId, session.root.spanId, 1_010, [
      { id: 'call-1', name: 'lookup_order' },
      { id: 'call-2', name: 'issue_refund' },
    ]);
    const steps = buildTimeline(normalizeTraces(tracesData([session.root, chat, session.tool])));
    const chatIndex = steps.findIndex((step) => step.spanId === chat.spanId);
    const synthetic = steps[chatIndex + 1]!;

    expect(synthetic).toMatchObject({
      kind: 'tool_call',
      synthetic: true,
      state: 'requested_not_executed',
      tool: { name: 'issue_refund', callId: 'call-2' },
      requestedBy: { traceId: session.traceId, spanId: chat.spanId },
      depth: steps[chatIndex]!.depth,
    });
    expect(synthetic.notes).toEqual(['the model requested tool call call-2; no span in this session executed it']);
    expect(steps[chatIndex]!.toolCalls?.map((call) => call.executed)).toEqual([true, false]);
  });
});

describe('MCP server in another trace', () => {
  it('shows the server span under the client span of the same request', () => {
    const agentTrace = agentSession({ sessionId: 's', startMs: 1_000 });
    const client = span({
      traceId: agentTrace.traceId,
      parentSpanId: agentTrace.tool.spanId,
      name: 'tools/call lookup_order',
      kind: 3,
      startMs: 1_121,
      attributes: { 'mcp.method.name': 'tools/call', 'mcp.session.id': 'mcp-1', 'jsonrpc.request.id': 7 },
    });
    const serverTraceId = newTraceId();
    const server = span({
      traceId: serverTraceId,
      name: 'tools/call lookup_order',
      kind: 2,
      startMs: 1_122,
      attributes: { 'mcp.method.name': 'tools/call', 'mcp.session.id': 'mcp-1', 'jsonrpc.request.id': 7 },
    });
    const query = span({ traceId: serverTraceId, parentSpanId: server.spanId, name: 'SELECT orders', startMs: 1_123, attributes: { 'db.system.name': 'postgresql' } });
    const events = [
      ...normalizeTraces(tracesData([...agentTrace.spans, client])),
      ...normalizeTraces(tracesData([server, query], { 'service.name': 'orders-mcp' })),
    ];

    const steps = buildTimeline(events);
    const clientIndex = steps.findIndex((step) => step.spanId === client.spanId);

    expect(steps[clientIndex + 1]).toMatchObject({ spanId: server.spanId, depth: steps[clientIndex]!.depth + 1, service: 'orders-mcp' });
    expect(steps[clientIndex + 1]!.placedUnder?.reason).toMatch(/MCP client span of the same request/);
    expect(steps[clientIndex + 2]).toMatchObject({ spanId: query.spanId, kind: 'data_access' });
  });

  it('shows a server tool span under the tool span with the same call id', () => {
    const agentTrace = agentSession({ sessionId: 's', startMs: 1_000 });
    const server = span({
      traceId: newTraceId(),
      name: 'tools/call lookup_order',
      kind: 2,
      startMs: 1_125,
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.call.id': 'call-1' },
    });

    const steps = buildTimeline(normalizeTraces(tracesData([...agentTrace.spans, server])));
    const placed = steps.find((step) => step.spanId === server.spanId)!;

    expect(placed.placedUnder).toMatchObject({ spanId: agentTrace.tool.spanId });
    expect(placed.depth).toBe(2);
  });
});

describe('span links', () => {
  it('shows a linked trace root under the span it links to', () => {
    const session = agentSession({ sessionId: 's', startMs: 1_000 });
    const job = span({ traceId: newTraceId(), name: 'process refund batch', startMs: 5_000 });
    job.links.push({ traceId: session.traceId, spanId: session.tool.spanId, traceState: '', attributes: [] });

    const steps = buildTimeline(normalizeTraces(tracesData([...session.spans, job])));
    const linked = steps.find((step) => step.spanId === job.spanId)!;

    expect(linked.placedUnder).toMatchObject({ spanId: session.tool.spanId });
    expect(linked.notes?.[0]).toMatch(/span link points to/);
    expect(linked.links).toEqual([{ traceId: session.traceId, spanId: session.tool.spanId, inSession: true }]);
    expect(steps.indexOf(linked)).toBe(steps.findIndex((step) => step.spanId === session.tool.spanId) + 1);
  });
});

describe('agents', () => {
  it('marks a nested agent as a sub-agent and a following sibling agent as a hand-off', () => {
    const traceId = newTraceId();
    const agent = (name: string, startMs: number, parentSpanId?: string) =>
      span({
        traceId,
        name: `invoke_agent ${name}`,
        startMs,
        durationMs: 100,
        ...(parentSpanId === undefined ? {} : { parentSpanId }),
        attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': name, 'gen_ai.agent.id': `${name}-v1` },
      });
    const triage = agent('triage', 1_000);
    const research = agent('research', 1_010, triage.spanId);
    const billing = agent('billing', 1_050, triage.spanId);
    const steps = buildTimeline(normalizeTraces(tracesData([triage, research, billing])));

    expect(steps.map((step) => [step.agent, step.agentRelation ?? null, step.relatedAgent ?? null])).toEqual([
      ['triage', null, null],
      ['research', 'sub_agent', 'triage'],
      ['billing', 'sub_agent', 'triage'],
    ]);
  });

  it('marks an agent that follows another at the same level as a hand-off', () => {
    const traceId = newTraceId();
    const root = span({ traceId, name: 'workflow', startMs: 1_000, durationMs: 500 });
    const first = span({ traceId, parentSpanId: root.spanId, name: 'invoke_agent triage', startMs: 1_010, attributes: { 'gen_ai.agent.name': 'triage' } });
    const second = span({ traceId, parentSpanId: root.spanId, name: 'invoke_agent billing', startMs: 1_100, attributes: { 'gen_ai.agent.name': 'billing' } });
    const steps = buildTimeline(normalizeTraces(tracesData([root, first, second])));

    expect(steps[2]).toMatchObject({ agent: 'billing', agentRelation: 'handoff', relatedAgent: 'triage' });
    expect(steps[1]!.agentRelation).toBeUndefined();
  });
});
