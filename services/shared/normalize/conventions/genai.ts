import { readString } from '../../otlp/attributes.ts';
import { collectIndexedToolCalls, readToolCallsAttribute } from '../messages.ts';
import type { StepFacts } from '../step-facts.ts';
import { hasKeyWithPrefix, type ConventionMapping, type SpanView } from './mapping.ts';

// OpenTelemetry GenAI semantic conventions. `gen_ai.operation.name` says
// what the span did; each list names the current attribute first and the
// deprecated one after it. Output messages arrive in three forms: the
// current `gen_ai.output.messages` (structured or a JSON string), the
// deprecated `gen_ai.completion` JSON string, and the indexed
// `gen_ai.completion.{i}.tool_calls.{j}.*` attributes that OpenLLMetry and
// older instrumentations still send.

const operations = [
  'invoke_agent',
  'create_agent',
  'invoke_workflow',
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
  'execute_tool',
  'retrieval',
  'handoff',
] as const;

// Span names of the form `{operation} {target}`, for spans whose
// instrumentation left out gen_ai.operation.name.
const operationFromSpanName = new RegExp(`^(${operations.join('|')})(\\s|$)`);

const indexedCompletionToolCall = /^gen_ai\.completion\.(\d+)\.tool_calls\.(\d+)\.(id|name)$/;

function readOutputToolCalls(span: SpanView): Pick<StepFacts, 'requestedToolCalls' | 'cutAttributes'> {
  for (const key of ['gen_ai.output.messages', 'gen_ai.completion']) {
    const found = readToolCallsAttribute(span.attributes, key);
    if (found !== undefined) return { requestedToolCalls: found.calls, cutAttributes: found.cut ? [key] : undefined };
  }
  const indexed = collectIndexedToolCalls(span.attributes, indexedCompletionToolCall, { id: ['id'], name: ['name'] });
  return indexed.length > 0 ? { requestedToolCalls: indexed } : {};
}

function readGenAiSpan(span: SpanView): StepFacts {
  const operation = readString(span.attributes, 'gen_ai.operation.name') ?? operationFromSpanName.exec(span.name)?.[1];
  const toolNameFromSpan = operation === 'execute_tool' ? span.name.replace(/^execute_tool\s*/, '') : '';
  return {
    operation,
    toolName: toolNameFromSpan || undefined,
    ...readOutputToolCalls(span),
  };
}

export const genAi: ConventionMapping = {
  name: 'gen_ai',
  detect: (span) => hasKeyWithPrefix(span.attributes, 'gen_ai.') || operationFromSpanName.test(span.name),
  kinds: {
    attribute: 'gen_ai.operation.name',
    values: {
      invoke_agent: 'agent',
      create_agent: 'agent',
      invoke_workflow: 'agent',
      handoff: 'agent',
      chat: 'model_request',
      text_completion: 'model_request',
      generate_content: 'model_request',
      embeddings: 'model_request',
      execute_tool: 'tool_call',
      retrieval: 'data_access',
    },
  },
  strings: {
    agentId: ['gen_ai.agent.id'],
    agentName: ['gen_ai.agent.name', 'gen_ai.workflow.name'],
    model: ['gen_ai.response.model', 'gen_ai.request.model'],
    provider: ['gen_ai.provider.name', 'gen_ai.system'],
    // The tool name attribute wins over the name parsed from the span.
    toolCallId: ['gen_ai.tool.call.id'],
    resourceUri: ['gen_ai.data_source.id'],
  },
  counts: {
    inputTokens: ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'],
    outputTokens: ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'],
  },
  read: (span) => {
    const facts = readGenAiSpan(span);
    const toolName = readString(span.attributes, 'gen_ai.tool.name');
    if (toolName) facts.toolName = toolName;
    // Span names carry the operation when the attribute is missing, so the
    // kind table alone would miss them.
    if (facts.operation !== undefined && readString(span.attributes, 'gen_ai.operation.name') === undefined) {
      facts.kind = genAi.kinds?.values[facts.operation];
    }
    return facts;
  },
};
