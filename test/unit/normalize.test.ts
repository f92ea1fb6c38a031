import { describe, expect, it } from 'vitest';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { agentSession, newTraceId, span, tracesData } from '../support/otlp-builders.ts';

describe('normalizeTraces', () => {
  it('classifies GenAI agent, model and tool spans', () => {
    const session = agentSession({ sessionId: 'conv-1' });

    const events = normalizeTraces(tracesData(session.spans));

    expect(events.map((event) => event.kind)).toEqual(['agent', 'model_request', 'tool_call']);
    expect(events[0]!.agentName).toBe('support');
    expect(events[1]!.model).toBe('test-model');
    expect(events[1]!.inputTokens).toBe(42);
    expect(events[2]!.toolName).toBe('lookup_order');
    expect(events[2]!.toolCallId).toBe('call-1');
  });

  it('gives every span of a trace the session one span names', () => {
    const session = agentSession({ sessionId: 'conv-2' });

    const events = normalizeTraces(tracesData(session.spans));

    expect(new Set(events.map((event) => event.sessionId))).toEqual(new Set(['conv-2']));
    expect(events[0]!.sessionSource).toBe('gen_ai.conversation.id');
  });

  it('prefers gen_ai.conversation.id over session.id', () => {
    const traceId = newTraceId();
    const events = normalizeTraces(
      tracesData([span({ traceId, name: 'x', startMs: 1, attributes: { 'session.id': 'web-1', 'gen_ai.conversation.id': 'conv-3' } })]),
    );

    expect(events[0]!.sessionId).toBe('conv-3');
  });

  it('reads session.id from the resource', () => {
    const traceId = newTraceId();
    const events = normalizeTraces(tracesData([span({ traceId, name: 'x', startMs: 1 })], { 'session.id': 'res-1' }));

    expect(events[0]!.sessionId).toBe('res-1');
    expect(events[0]!.sessionSource).toBe('resource.session.id');
  });

  it('falls back to the trace id when no span names a session', () => {
    const traceId = newTraceId();
    const events = normalizeTraces(tracesData([span({ traceId, name: 'chat m', startMs: 1 })]));

    expect(events[0]!.sessionId).toBe(traceId);
    expect(events[0]!.sessionSource).toBe('trace_id');
  });

  it('counts an MCP tool error inside a successful response as failed', () => {
    const traceId = newTraceId();
    const events = normalizeTraces(
      tracesData([
        span({
          traceId,
          name: 'tools/call get_weather',
          startMs: 1,
          kind: 2,
          attributes: { 'mcp.method.name': 'tools/call', 'error.type': 'tool_error', 'mcp.session.id': 'mcp-9' },
        }),
      ]),
    );

    expect(events[0]!.kind).toBe('tool_call');
    expect(events[0]!.toolName).toBe('get_weather');
    expect(events[0]!.status).toBe('error');
    expect(events[0]!.convention).toBe('mcp');
    expect(events[0]!.mcpSessionId).toBe('mcp-9');
    // The MCP connection id is not a conversation: the session stays the trace.
    expect(events[0]!.sessionId).toBe(traceId);
  });

  it('reads an MCP resource read as data access', () => {
    const events = normalizeTraces(
      tracesData([
        span({
          traceId: newTraceId(),
          name: 'resources/read file:///etc/app.conf',
          startMs: 1,
          attributes: { 'mcp.method.name': 'resources/read', 'mcp.resource.uri': 'file:///etc/app.conf' },
        }),
      ]),
    );

    expect(events[0]!.kind).toBe('data_access');
    expect(events[0]!.resourceUri).toBe('file:///etc/app.conf');
  });

  it('reads deprecated GenAI names', () => {
    const events = normalizeTraces(
      tracesData([
        span({
          traceId: newTraceId(),
          name: 'chat old-model',
          startMs: 1,
          attributes: { 'gen_ai.system': 'openai', 'gen_ai.request.model': 'old-model', 'gen_ai.usage.prompt_tokens': 5 },
        }),
      ]),
    );

    expect(events[0]!.kind).toBe('model_request');
    expect(events[0]!.provider).toBe('openai');
    expect(events[0]!.inputTokens).toBe(5);
  });

  it('leaves spans of no known convention as plain spans', () => {
    const events = normalizeTraces(tracesData([span({ traceId: newTraceId(), name: 'GET /orders', startMs: 1 })]));

    expect(events[0]!.kind).toBe('span');
    expect(events[0]!.convention).toBe('none');
  });
});
