import { describe, expect, it } from 'vitest';
import { buildTimeline } from '../../services/api/timeline.ts';
import { formatUnixNano } from '../../services/api/time-format.ts';
import { decodeTraces } from '../../services/shared/otlp/decode-traces.ts';
import { encodeLogsProtobuf } from '../../services/shared/otlp/logs-codec.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { buildSpanRows } from '../../services/shared/storage/span-store.ts';
import type { TracesData } from '../../schemas/otlp.ts';
import { agentSession, logsData, newSpanId, newTraceId, span, tracesData } from '../support/otlp-builders.ts';

// Traffic as real systems send it. Each case checks that the timeline
// records what it did instead of guessing silently.

function decodeJson(document: unknown): TracesData {
  const result = decodeTraces(Buffer.from(JSON.stringify(document)), 'json');
  if (!result.ok) throw new Error(result.reason);
  return result.data;
}

function jsonBody(spans: unknown[]) {
  return { resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 's' }, spans }] }] };
}

const hour = 3_600_000;

describe('messy traffic', () => {
  it('children arriving hours before their parent are shown in place', () => {
    const session = agentSession({ sessionId: 'late', startMs: 10 * hour });
    const earlyBatch = normalizeTraces(tracesData([session.tool, session.chat]));
    const lateBatch = normalizeTraces(tracesData([session.root]));

    const before = buildTimeline(earlyBatch);
    const after = buildTimeline([...earlyBatch, ...lateBatch]);

    expect(before.every((step) => step.orphaned)).toBe(true);
    expect(after.map((step) => [step.spanId, step.depth, step.orphaned])).toEqual([
      [session.root.spanId, 0, false],
      [session.chat.spanId, 1, false],
      [session.tool.spanId, 1, false],
    ]);
  });

  it('a parent that never arrives leaves the child visible and marked', () => {
    const session = agentSession({ sessionId: 'lost', startMs: 1_000 });
    const missingParent = newSpanId();
    const child = span({ traceId: session.traceId, parentSpanId: missingParent, name: 'execute_tool audit', startMs: 1_200 });

    const steps = buildTimeline(normalizeTraces(tracesData([...session.spans, child])));
    const shown = steps.find((step) => step.spanId === child.spanId)!;

    expect(shown).toMatchObject({ orphaned: true, depth: 1, placedUnder: { spanId: session.root.spanId } });
    expect(shown.notes).toContain(`parent span ${missingParent} never arrived; shown under the root span of its trace`);
  });

  it('a child starting before its parent is ordered after it, times kept', () => {
    const traceId = newTraceId();
    const parent = span({ traceId, name: 'execute_tool lookup', startMs: 5_000, durationMs: 100 });
    // The server's clock runs 2 s behind the client's.
    const child = span({ traceId, parentSpanId: parent.spanId, name: 'tools/call lookup', startMs: 3_010, durationMs: 50 });
    const grandchild = span({ traceId, parentSpanId: child.spanId, name: 'SELECT', startMs: 3_020, durationMs: 10 });
    const sibling = span({ traceId, parentSpanId: parent.spanId, name: 'format', startMs: 5_030, durationMs: 5 });
    const events = [
      ...normalizeTraces(tracesData([parent, sibling])),
      ...normalizeTraces(tracesData([child, grandchild], { 'service.name': 'mcp-server' })),
    ];

    const steps = buildTimeline(events);
    const shownChild = steps.find((step) => step.spanId === child.spanId)!;

    expect(steps.map((step) => step.spanId)).toEqual([parent.spanId, child.spanId, grandchild.spanId, sibling.spanId]);
    expect(shownChild.start).toBe('1970-01-01T00:00:03.010000000Z');
    expect(shownChild.displayStart).toBe('1970-01-01T00:00:05.000000000Z');
    expect(shownChild.clockSkew).toEqual({ correctionMs: 1990, reason: expect.stringMatching(/starts 1990 ms before its parent span/) });
    // The grandchild agrees with its own parent once shifted, so it needs no mark of its own.
    expect(steps[2]!.clockSkew).toBeUndefined();
  });

  it('a child ending after its parent is noted', () => {
    const traceId = newTraceId();
    const parent = span({ traceId, name: 'invoke_agent a', startMs: 1_000, durationMs: 100 });
    const child = span({ traceId, parentSpanId: parent.spanId, name: 'chat m', startMs: 1_050, durationMs: 200 });

    const steps = buildTimeline(normalizeTraces(tracesData([parent, child])));

    expect(steps[1]!.notes).toEqual([`ends 150 ms after its parent span ${parent.spanId} ends; the clocks of the two services may disagree`]);
    expect(steps[1]!.clockSkew).toBeUndefined();
  });

  it('siblings starting in the same millisecond keep their run order', () => {
    const traceId = newTraceId();
    const root = span({ traceId, name: 'invoke_agent a', startMs: 1_000, durationMs: 100 });
    // Millisecond clocks: the tool ran and ended at 1_020, the next model request started then too.
    const nextChat = span({ traceId, parentSpanId: root.spanId, name: 'chat m', startMs: 1_020, durationMs: 30 });
    const tool = span({ traceId, parentSpanId: root.spanId, name: 'execute_tool lookup', startMs: 1_020, durationMs: 0 });

    const steps = buildTimeline(normalizeTraces(tracesData([root, nextChat, tool])));

    expect(steps.map((step) => step.spanId)).toEqual([root.spanId, tool.spanId, nextChat.spanId]);
  });

  it('timestamps as decimal strings, numbers above 2^53 and low/high objects', () => {
    const traceId = newTraceId();
    const lowHigh = (403_567_000n << 32n) | 1_000_000_000n;
    // Written as text: a JavaScript number literal would already lose the digits.
    const text =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[' +
      `{"traceId":"${traceId}","spanId":"00000000000000a1","name":"string","startTimeUnixNano":"1733333333123456789"},` +
      `{"traceId":"${traceId}","spanId":"00000000000000a2","name":"number","startTimeUnixNano":1733333333223456789},` +
      `{"traceId":"${traceId}","spanId":"00000000000000a3","name":"low-high","startTimeUnixNano":{"low":1000000000,"high":403567000}}` +
      ']}]}]}';
    const result = decodeTraces(Buffer.from(text), 'json');
    if (!result.ok) throw new Error(result.reason);

    const steps = buildTimeline(normalizeTraces(result.data));

    expect(steps.map((step) => [step.name, step.start])).toEqual([
      ['low-high', formatUnixNano(lowHigh)],
      ['string', '2024-12-04T17:28:53.123456789Z'],
      ['number', '2024-12-04T17:28:53.223456789Z'],
    ]);
  });

  it('ids in upper case are read as lower case', () => {
    const traceId = newTraceId();
    const parentId = newSpanId();
    const data = decodeJson(
      jsonBody([
        { traceId: traceId.toUpperCase(), spanId: parentId.toUpperCase(), name: 'root', startTimeUnixNano: '1000' },
        { traceId, spanId: newSpanId().toUpperCase(), parentSpanId: parentId.toUpperCase(), name: 'child', startTimeUnixNano: '2000' },
      ]),
    );

    const steps = buildTimeline(normalizeTraces(data));

    expect(steps.map((step) => [step.traceId, step.depth, step.orphaned])).toEqual([
      [traceId, 0, false],
      [traceId, 1, false],
    ]);
  });

  it('attributes with wrong types are kept and read', () => {
    const traceId = newTraceId();
    const data = decodeJson(
      jsonBody([
        {
          traceId,
          spanId: newSpanId(),
          name: 'chat m',
          startTimeUnixNano: '1000',
          attributes: [
            { key: 'gen_ai.operation.name', value: { stringValue: 'chat' } },
            { key: 'gen_ai.request.model', value: { stringValue: 42 } },
            { key: 'gen_ai.usage.input_tokens', value: { stringValue: '17' } },
            { key: 'gen_ai.usage.output_tokens', value: { intValue: 'many' } },
            { key: 'gen_ai.conversation.id', value: { intValue: 9001 } },
            { key: 'gen_ai.agent.name', value: { arrayValue: { values: [{ stringValue: 'a' }] } } },
          ],
        },
      ]),
    );

    const [event] = normalizeTraces(data);

    expect(event).toMatchObject({ kind: 'model_request', model: '42', inputTokens: 17, outputTokens: null, sessionId: '9001', agentName: '' });
  });

  it('huge values are stored up to the cap with a mark', () => {
    const session = agentSession({ sessionId: 'huge', startMs: 1_000 });
    const prompt = 'é'.repeat(100);
    session.chat.attributes.push({ key: 'gen_ai.input.messages', value: { stringValue: prompt } });
    const data = tracesData(session.spans);

    const events = normalizeTraces(data, { maxAttributeValueBytes: 64 });
    const rows = buildSpanRows(data, events, 64);
    const stored = (rows.otelTraces[1]!['SpanAttributes'] as Record<string, string>)['gen_ai.input.messages']!;
    const steps = buildTimeline(events);

    expect(events[1]!.truncatedAttributes).toEqual(['gen_ai.input.messages']);
    expect(stored).toBe(`${'é'.repeat(32)}…[truncated: 200 bytes]`);
    expect(steps[1]!.notes).toEqual(['attribute values cut (by the sender or at the storage cap): gen_ai.input.messages']);
  });

  it('JSON strings cut mid-value still yield their tool calls', () => {
    const full = JSON.stringify([
      { role: 'assistant', parts: [{ type: 'tool_call', id: 'call_1', name: 'lookup', arguments: { order: '1234' } }, { type: 'tool_call', id: 'call_2', name: 'refund', arguments: { amount: 100 } }] },
    ]);
    const cut = full.slice(0, full.indexOf('"amount"') + 5);
    const chat = span({ traceId: newTraceId(), name: 'chat m', startMs: 1, attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.output.messages': cut } });

    const [event] = normalizeTraces(tracesData([chat]));
    const [step] = buildTimeline([event!]);

    expect(event!.requestedToolCalls).toEqual([
      { id: 'call_1', name: 'lookup' },
      { id: 'call_2', name: 'refund' },
    ]);
    expect(event!.truncatedAttributes).toEqual(['gen_ai.output.messages']);
    expect(step!.notes?.[0]).toMatch(/gen_ai.output.messages/);
  });

  it('a logs payload on the traces path is refused with the reason', () => {
    const logs = encodeLogsProtobuf(
      logsData([
        {
          timeUnixNano: 1733333333000000000n,
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
    const jsonLogs = Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] }));

    expect(decodeTraces(logs, 'protobuf')).toEqual({ ok: false, reason: expect.stringMatching(/OTLP logs request.*send logs to \/v1\/logs/) });
    expect(decodeTraces(jsonLogs, 'json')).toEqual({ ok: false, reason: expect.stringMatching(/OTLP logs request/) });
  });

  it('base64 and empty ids are rejected alone, with the reason', () => {
    const traceId = newTraceId();
    const result = decodeTraces(
      Buffer.from(
        JSON.stringify(
          jsonBody([
            { traceId: Buffer.from(traceId, 'hex').toString('base64'), spanId: 'AAAAAAAAAAE=', name: 'b64', startTimeUnixNano: '1' },
            { traceId: '', spanId: '', name: 'empty', startTimeUnixNano: '1' },
            { traceId, spanId: newSpanId(), name: 'good', startTimeUnixNano: '1' },
          ]),
        ),
      ),
      'json',
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rejections.map((rejection) => rejection.reason)).toEqual([
      'traceId is not hex; OTLP/JSON encodes trace and span ids as hex, not base64',
      'traceId is missing',
    ]);
    expect(result.data.resourceSpans[0]!.scopeSpans[0]!.spans.map((kept) => kept.name)).toEqual(['good']);
  });
});
