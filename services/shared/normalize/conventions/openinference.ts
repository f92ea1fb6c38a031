import { readString } from '../../otlp/attributes.ts';
import { collectIndexedToolCalls } from '../messages.ts';
import type { StepFacts } from '../step-facts.ts';
import type { ConventionMapping, SpanView } from './mapping.ts';

// OpenInference (Arize Phoenix): `openinference.span.kind` says what the
// span did, and messages are flattened into zero-based indexed attributes
// such as `llm.output_messages.0.message.tool_calls.1.tool_call.id`.

const outputToolCall = /^llm\.output_messages\.(\d+)\.message\.tool_calls\.(\d+)\.tool_call\.(id|function\.name)$/;

function readOpenInferenceSpan(span: SpanView): StepFacts {
  const requested = collectIndexedToolCalls(span.attributes, outputToolCall, { id: ['id'], name: ['function.name'] });
  const kind = readString(span.attributes, 'openinference.span.kind')?.toUpperCase();
  return {
    operation: kind?.toLowerCase(),
    requestedToolCalls: requested.length > 0 ? requested : undefined,
  };
}

export const openInference: ConventionMapping = {
  name: 'openinference',
  detect: (span) => span.attributes.has('openinference.span.kind'),
  kinds: {
    attribute: 'openinference.span.kind',
    values: {
      LLM: 'model_request',
      EMBEDDING: 'model_request',
      TOOL: 'tool_call',
      AGENT: 'agent',
      RETRIEVER: 'data_access',
      RERANKER: 'data_access',
    },
  },
  strings: {
    agentName: ['agent.name', 'graph.node.name'],
    agentId: ['graph.node.id'],
    model: ['llm.model_name', 'embedding.model_name'],
    provider: ['llm.provider', 'llm.system'],
    toolName: ['tool.name'],
    toolCallId: ['tool.id', 'tool_call.id'],
  },
  counts: {
    inputTokens: ['llm.token_count.prompt'],
    outputTokens: ['llm.token_count.completion'],
  },
  read: readOpenInferenceSpan,
};
