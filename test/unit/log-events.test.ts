import { describe, expect, it } from 'vitest';
import type { LogRecord, LogsData } from '../../schemas/otlp-logs.ts';
import { buildTimeline } from '../../services/api/timeline.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { normalizeLogs } from '../../services/shared/normalize/logs.ts';
import { decodeLogs } from '../../services/shared/otlp/decode-logs.ts';
import { encodeLogsProtobuf } from '../../services/shared/otlp/logs-codec.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, logsData, newSpanId, newTraceId, tracesData } from '../support/otlp-builders.ts';

// GenAI and coding-agent log events folded into the session they belong to.

const text = (value: string) => ({ stringValue: value });

function record(fields: Partial<LogRecord> & { eventName: string }): LogRecord {
  return {
    timeUnixNano: 1_000_500_000n,
    observedTimeUnixNano: 0n,
    severityNumber: 9,
    severityText: 'INFO',
    body: {},
    attributes: [],
    traceId: '',
    spanId: '',
    ...fields,
  };
}

function roundTrip(data: LogsData): LogsData {
  const decoded = decodeLogs(encodeLogsProtobuf(data), 'protobuf');
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.data;
}

describe('log events', () => {
  it('folds an operation-details event into its model request', () => {
    const session = agentSession({ sessionId: 'details', startMs: 1_000 });
    const details = record({
      eventName: 'gen_ai.client.inference.operation.details',
      traceId: session.traceId,
      spanId: session.chat.spanId,
      attributes: [
        {
          key: 'gen_ai.output.messages',
          value: text(JSON.stringify([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'call-1', name: 'lookup_order' }] }])),
        },
      ],
    });

    const steps = buildTimeline(normalizeTraces(tracesData(session.spans)), normalizeLogs(roundTrip(logsData([details])), 0n));
    const chat = steps.find((step) => step.spanId === session.chat.spanId)!;

    expect(steps).toHaveLength(3);
    expect(chat.events?.map((event) => event.name)).toEqual(['gen_ai.client.inference.operation.details']);
    expect(chat.toolCalls).toEqual([{ callId: 'call-1', name: 'lookup_order', executed: true, executedBy: [{ traceId: session.traceId, spanId: session.tool.spanId }] }]);
  });

  it('reads the older per-message events and gen_ai.choice', () => {
    const traceId = newTraceId();
    const spanId = newSpanId();
    const events = normalizeLogs(
      roundTrip(
        logsData([
          record({ eventName: '', traceId, spanId, attributes: [{ key: 'event.name', value: text('gen_ai.user.message') }], body: { kvlistValue: { values: [{ key: 'content', value: text('hi') }] } } }),
          record({ eventName: 'gen_ai.tool.message', traceId, spanId, body: { kvlistValue: { values: [{ key: 'id', value: text('call-7') }, { key: 'content', value: text('ok') }] } } }),
          record({
            eventName: 'gen_ai.choice',
            traceId,
            spanId,
            body: text(JSON.stringify({ index: 0, message: { tool_calls: [{ id: 'call-8', type: 'function', function: { name: 'refund' } }] } })),
          }),
        ]),
      ),
      0n,
    );

    expect(events.map((event) => [event.eventName, event.kind])).toEqual([
      ['gen_ai.user.message', 'message'],
      ['gen_ai.tool.message', 'message'],
      ['gen_ai.choice', 'choice'],
    ]);
    expect(events[1]!.toolCallId).toBe('call-7');
    expect(events[2]!.requestedToolCalls).toEqual([{ id: 'call-8', name: 'refund' }]);
    expect(new Set(events.map((event) => event.sessionId))).toEqual(new Set([traceId]));
  });

  it('shows a tool decision under its span as an approval step', () => {
    const session = agentSession({ sessionId: 'decision', startMs: 1_000 });
    const decision = record({
      eventName: 'codex.tool_decision',
      traceId: session.traceId,
      spanId: session.tool.spanId,
      attributes: [
        { key: 'tool_name', value: text('lookup_order') },
        { key: 'call_id', value: text('call-1') },
        { key: 'decision', value: text('approved') },
        { key: 'source', value: text('user') },
      ],
    });

    const steps = buildTimeline(normalizeTraces(tracesData(session.spans)), normalizeLogs(logsData([decision]), 0n));
    const approval = steps.find((step) => step.signal === 'log')!;

    expect(approval).toMatchObject({
      kind: 'approval',
      name: 'codex.tool_decision lookup_order',
      parentSpanId: session.tool.spanId,
      depth: 2,
      orphaned: false,
      decision: { decision: 'approved', source: 'user' },
      tool: { name: 'lookup_order', callId: 'call-1' },
    });
  });

  it('takes the session from attributes, then the resource, then the trace', () => {
    const traceId = newTraceId();
    const events = normalizeLogs(
      logsData(
        [
          record({ eventName: 'a', attributes: [{ key: 'session.id', value: text('own') }] }),
          record({ eventName: 'b' }),
          record({ eventName: 'c', traceId, spanId: newSpanId() }),
        ],
        [{ key: 'gen_ai.conversation.id', value: text('from-resource') }],
      ),
      0n,
    );
    const orphanEvents = normalizeLogs(logsData([record({ eventName: 'd', traceId, spanId: newSpanId() })]), 0n);

    expect(events.map((event) => [event.sessionId, event.sessionSource])).toEqual([
      ['own', 'session.id'],
      ['from-resource', 'resource.gen_ai.conversation.id'],
      ['from-resource', 'resource.gen_ai.conversation.id'],
    ]);
    expect([orphanEvents[0]!.sessionId, orphanEvents[0]!.sessionSource]).toEqual([traceId, 'trace_id']);
  });

  it('rejects a traces body sent as logs with the reason', () => {
    const session = agentSession({ sessionId: 'wrong-path' });

    const result = decodeLogs(encodeTracesProtobuf(tracesData(session.spans)), 'protobuf');

    expect(result).toEqual({ ok: false, reason: 'body is an OTLP traces request (ExportTraceServiceRequest), not logs; send traces to /v1/traces' });
  });

  it('rejects a record with a malformed id and keeps the others', () => {
    const result = decodeLogs(
      Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'abc', body: { stringValue: 'x' } }, { body: { stringValue: 'y' } }] }] }] })),
      'json',
    );

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rejections).toEqual([{ reason: 'traceId must be 16 bytes (32 hex digits)' }]);
    expect(result.data.resourceLogs[0]!.scopeLogs[0]!.logRecords).toHaveLength(1);
  });
});
