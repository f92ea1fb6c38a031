import type { StepKind } from '../../../schemas/audit-event.ts';
import { readCount, readString, type AttributeMap } from '../otlp/attributes.ts';
import type { StepFacts } from './step-facts.ts';

// OpenTelemetry GenAI semantic conventions: `gen_ai.operation.name` says what
// the span did; older instrumentations send the deprecated names in the
// second position of each list.

const kindByOperation: Record<string, StepKind> = {
  invoke_agent: 'agent',
  create_agent: 'agent',
  invoke_workflow: 'agent',
  chat: 'model_request',
  text_completion: 'model_request',
  generate_content: 'model_request',
  embeddings: 'model_request',
  execute_tool: 'tool_call',
  retrieval: 'data_access',
};

// Span names of the form `{operation} {target}`, for spans whose
// instrumentation left out gen_ai.operation.name.
const operationFromSpanName = /^(invoke_agent|create_agent|invoke_workflow|chat|text_completion|generate_content|embeddings|execute_tool|retrieval)(\s|$)/;

function firstString(attributes: AttributeMap, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = readString(attributes, key);
    if (value) return value;
  }
  return undefined;
}

function firstCount(attributes: AttributeMap, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = readCount(attributes, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

export function hasGenAiAttributes(attributes: AttributeMap): boolean {
  for (const key of attributes.keys()) if (key.startsWith('gen_ai.')) return true;
  return false;
}

/** Reads the GenAI attributes of a span; returns only the facts the span carries. */
export function readGenAiFacts(spanName: string, attributes: AttributeMap): StepFacts {
  const operation =
    readString(attributes, 'gen_ai.operation.name') ?? operationFromSpanName.exec(spanName)?.[1] ?? undefined;
  const toolNameFromSpan = operation === 'execute_tool' ? spanName.replace(/^execute_tool\s*/, '') : '';

  return {
    kind: operation === undefined ? undefined : kindByOperation[operation],
    operation,
    agentId: readString(attributes, 'gen_ai.agent.id'),
    agentName: readString(attributes, 'gen_ai.agent.name'),
    model: firstString(attributes, ['gen_ai.response.model', 'gen_ai.request.model']),
    provider: firstString(attributes, ['gen_ai.provider.name', 'gen_ai.system']),
    toolName: readString(attributes, 'gen_ai.tool.name') ?? (toolNameFromSpan || undefined),
    toolCallId: readString(attributes, 'gen_ai.tool.call.id'),
    resourceUri: readString(attributes, 'gen_ai.data_source.id'),
    inputTokens: firstCount(attributes, ['gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens']),
    outputTokens: firstCount(attributes, ['gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens']),
  };
}
