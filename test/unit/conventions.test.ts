import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../schemas/otlp.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { newTraceId, span, tracesData, type SpanSpec } from '../support/otlp-builders.ts';

// One span per convention, with the attributes its instrumentation writes,
// read into the audit model.

function normalizeOne(spec: Omit<SpanSpec, 'traceId' | 'startMs'>, extra: KeyValue[] = [], scope = 'test') {
  const built = span({ traceId: newTraceId(), startMs: 1_000, ...spec });
  built.attributes.push(...extra);
  const data = tracesData([built]);
  data.resourceSpans[0]!.scopeSpans[0]!.scope.name = scope;
  return normalizeTraces(data)[0]!;
}

const text = (value: string) => ({ stringValue: value });

describe('OpenTelemetry GenAI convention', () => {
  it('reads structured output messages with tool_call parts', () => {
    const part = (id: string, name: string): KeyValue[] => [
      { key: 'type', value: text('tool_call') },
      { key: 'id', value: text(id) },
      { key: 'name', value: text(name) },
    ];
    const messages: KeyValue = {
      key: 'gen_ai.output.messages',
      value: {
        arrayValue: {
          values: [
            {
              kvlistValue: {
                values: [
                  { key: 'role', value: text('assistant') },
                  {
                    key: 'parts',
                    value: { arrayValue: { values: [{ kvlistValue: { values: part('call_a', 'lookup_order') } }, { kvlistValue: { values: part('call_b', 'issue_refund') } }] } },
                  },
                ],
              },
            },
          ],
        },
      },
    };
    const event = normalizeOne({ name: 'chat m1', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'm1' } }, [messages]);

    expect(event.kind).toBe('model_request');
    expect(event.requestedToolCalls).toEqual([
      { id: 'call_a', name: 'lookup_order' },
      { id: 'call_b', name: 'issue_refund' },
    ]);
  });

  it('reads output messages as a JSON string', () => {
    const messages = JSON.stringify([{ role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'search', arguments: { q: 'x' } }] }]);
    const event = normalizeOne({ name: 'chat m1', attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.output.messages': messages } });

    expect(event.requestedToolCalls).toEqual([{ id: 'c1', name: 'search' }]);
    expect(event.truncatedAttributes).toEqual([]);
  });

  it('reads the deprecated completion JSON and indexed completions', () => {
    const deprecated = normalizeOne({
      name: 'chat old',
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.completion': JSON.stringify([{ role: 'assistant', tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'f' } }] }]),
      },
    });
    const indexed = normalizeOne({
      name: 'openai.chat',
      attributes: {
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-x',
        'gen_ai.prompt.0.role': 'user',
        'gen_ai.prompt.0.content': 'hello',
        'gen_ai.completion.0.role': 'assistant',
        'gen_ai.completion.0.tool_calls.1.id': 'call_2',
        'gen_ai.completion.0.tool_calls.1.name': 'second',
        'gen_ai.completion.0.tool_calls.0.id': 'call_1',
        'gen_ai.completion.0.tool_calls.0.name': 'first',
      },
    });

    expect(deprecated.provider).toBe('openai');
    expect(deprecated.requestedToolCalls).toEqual([{ id: 'call_9', name: 'f' }]);
    expect(indexed.requestedToolCalls).toEqual([
      { id: 'call_1', name: 'first' },
      { id: 'call_2', name: 'second' },
    ]);
  });

  it('reads the operation from the span name when the attribute is missing', () => {
    const event = normalizeOne({ name: 'execute_tool lookup_order', attributes: { 'gen_ai.tool.call.id': 'c7' } });

    expect(event.kind).toBe('tool_call');
    expect(event.toolName).toBe('lookup_order');
    expect(event.toolCallId).toBe('c7');
  });
});

describe('MCP convention', () => {
  it('reads a server tool span with its request ids', () => {
    const event = normalizeOne({
      name: 'tools/call lookup_order',
      kind: 2,
      attributes: {
        'mcp.method.name': 'tools/call',
        'mcp.session.id': 'sess-1',
        'jsonrpc.request.id': 4,
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': 'lookup_order',
      },
    });

    expect(event.kind).toBe('tool_call');
    expect(event.spanKind).toBe('server');
    expect(event.rpcRequestId).toBe('4');
    expect(event.conventions).toEqual(['mcp', 'gen_ai']);
  });

  it('counts a tool_error inside a successful response as failed', () => {
    const event = normalizeOne({
      name: 'tools/call refund',
      kind: 3,
      status: 1,
      attributes: { 'mcp.method.name': 'tools/call', 'error.type': 'tool_error' },
    });

    expect(event.status).toBe('error');
    expect(event.spanKind).toBe('client');
  });
});

describe('OpenInference convention', () => {
  it('reads an LLM span with flattened output tool calls', () => {
    const event = normalizeOne({
      name: 'ChatCompletion',
      attributes: {
        'openinference.span.kind': 'LLM',
        'llm.model_name': 'gpt-oi',
        'llm.provider': 'openai',
        'llm.token_count.prompt': 12,
        'llm.token_count.completion': 3,
        'llm.output_messages.0.message.role': 'assistant',
        'llm.output_messages.0.message.tool_calls.0.tool_call.id': 'call_oi',
        'llm.output_messages.0.message.tool_calls.0.tool_call.function.name': 'lookup',
        'session.id': 'oi-session',
        'user.id': 'oi-user',
      },
    });

    expect(event).toMatchObject({
      kind: 'model_request',
      model: 'gpt-oi',
      provider: 'openai',
      inputTokens: 12,
      outputTokens: 3,
      sessionId: 'oi-session',
      principalId: 'oi-user',
      convention: 'openinference',
    });
    expect(event.requestedToolCalls).toEqual([{ id: 'call_oi', name: 'lookup' }]);
  });

  it('reads TOOL and AGENT spans', () => {
    const tool = normalizeOne({ name: 'lookup', attributes: { 'openinference.span.kind': 'TOOL', 'tool.name': 'lookup', 'tool.id': 'call_oi' } });
    const agent = normalizeOne({ name: 'agent', attributes: { 'openinference.span.kind': 'AGENT', 'agent.name': 'planner' } });

    expect([tool.kind, tool.toolName, tool.toolCallId]).toEqual(['tool_call', 'lookup', 'call_oi']);
    expect([agent.kind, agent.agentName]).toEqual(['agent', 'planner']);
  });
});

describe('Vercel AI SDK legacy convention', () => {
  it('reads ai.* model, tool and outer spans', () => {
    const outer = normalizeOne(
      { name: 'ai.generateText', attributes: { 'ai.operationId': 'ai.generateText', 'ai.telemetry.functionId': 'helpdesk', 'ai.telemetry.metadata.sessionId': 'v-session', 'ai.telemetry.metadata.userId': 'v-user' } },
      [],
      'ai',
    );
    const model = normalizeOne(
      {
        name: 'ai.generateText.doGenerate',
        attributes: {
          'ai.operationId': 'ai.generateText.doGenerate',
          'ai.model.id': 'legacy-model',
          'ai.model.provider': 'mock.chat',
          'ai.usage.promptTokens': 20,
          'ai.usage.completionTokens': 5,
          'ai.response.toolCalls': JSON.stringify([{ toolCallType: 'function', toolCallId: 'call_v', toolName: 'lookup', args: '{}' }]),
        },
      },
      [],
      'ai',
    );
    const tool = normalizeOne(
      { name: 'ai.toolCall', attributes: { 'ai.operationId': 'ai.toolCall', 'ai.toolCall.name': 'lookup', 'ai.toolCall.id': 'call_v' } },
      [],
      'ai',
    );

    expect([outer.kind, outer.agentName, outer.sessionId, outer.principalId]).toEqual(['agent', 'helpdesk', 'v-session', 'v-user']);
    expect(model).toMatchObject({ kind: 'model_request', model: 'legacy-model', provider: 'mock.chat', inputTokens: 20, outputTokens: 5, convention: 'vercel_ai' });
    expect(model.requestedToolCalls).toEqual([{ id: 'call_v', name: 'lookup' }]);
    expect([tool.kind, tool.toolName, tool.toolCallId]).toEqual(['tool_call', 'lookup', 'call_v']);
  });
});

describe('OpenLLMetry convention', () => {
  it('reads workflow, tool and model spans with association properties', () => {
    const workflow = normalizeOne({
      name: 'support.workflow',
      attributes: {
        'traceloop.span.kind': 'workflow',
        'traceloop.entity.name': 'support',
        'traceloop.association.properties.session_id': 't-session',
        'traceloop.association.properties.user_id': 't-user',
      },
    });
    const model = normalizeOne({ name: 'openai.chat', attributes: { 'llm.request.type': 'chat', 'gen_ai.system': 'openai', 'gen_ai.request.model': 'gpt-t', 'gen_ai.usage.prompt_tokens': 9 } });
    const tool = normalizeOne({ name: 'lookup.tool', kind: 3, attributes: { 'traceloop.span.kind': 'tool', 'traceloop.entity.name': 'lookup' } });

    expect([workflow.kind, workflow.agentName, workflow.sessionId, workflow.principalId]).toEqual(['agent', 'support', 't-session', 't-user']);
    expect(model).toMatchObject({ kind: 'model_request', model: 'gpt-t', provider: 'openai', inputTokens: 9, convention: 'traceloop' });
    expect([tool.kind, tool.toolName, tool.mcpMethod]).toEqual(['tool_call', 'lookup', 'tools/call']);
  });
});

describe('Langfuse convention', () => {
  it('reads generation and tool observations', () => {
    const generation = normalizeOne({
      name: 'llm-call',
      attributes: {
        'langfuse.observation.type': 'generation',
        'langfuse.observation.model.name': 'lf-model',
        'langfuse.observation.usage_details': JSON.stringify({ input: 30, output: 4 }),
        'langfuse.observation.output': JSON.stringify({ role: 'assistant', tool_calls: [{ id: 'call_lf', type: 'function', function: { name: 'lookup' } }] }),
        'langfuse.session.id': 'lf-session',
        'langfuse.user.id': 'lf-user',
      },
    });
    const tool = normalizeOne({ name: 'lookup', attributes: { 'langfuse.observation.type': 'tool', 'langfuse.observation.level': 'ERROR' } });

    expect(generation).toMatchObject({ kind: 'model_request', model: 'lf-model', inputTokens: 30, outputTokens: 4, sessionId: 'lf-session', principalId: 'lf-user', convention: 'langfuse' });
    expect(generation.requestedToolCalls).toEqual([{ id: 'call_lf', name: 'lookup' }]);
    expect([tool.kind, tool.toolName, tool.status]).toEqual(['tool_call', 'lookup', 'error']);
  });
});

describe('session precedence', () => {
  it('prefers gen_ai.conversation.id, then session.id, then library forms', () => {
    const all = normalizeOne({
      name: 'x',
      attributes: {
        'ai.telemetry.metadata.sessionId': 'e',
        'traceloop.association.properties.session_id': 'd',
        'langfuse.session.id': 'c',
        'session.id': 'b',
        'gen_ai.conversation.id': 'a',
      },
    });
    const langfuseFirst = normalizeOne({ name: 'x', attributes: { 'traceloop.association.properties.session_id': 'd', 'langfuse.session.id': 'c' } });

    expect([all.sessionId, all.sessionSource]).toEqual(['a', 'gen_ai.conversation.id']);
    expect([langfuseFirst.sessionId, langfuseFirst.sessionSource]).toEqual(['c', 'langfuse.session.id']);
  });
});
