import { readString } from '../../otlp/attributes.ts';
import { parseJsonText, readToolCallsAttribute } from '../messages.ts';
import type { StepFacts } from '../step-facts.ts';
import { hasKeyWithPrefix, type ConventionMapping, type SpanView } from './mapping.ts';

// Langfuse's OpenTelemetry attributes: `langfuse.observation.type` says
// what an observation is, usage is a JSON object in
// `langfuse.observation.usage_details`, and ERROR in
// `langfuse.observation.level` marks a failure the span status may not show.

function readUsage(span: SpanView): Pick<StepFacts, 'inputTokens' | 'outputTokens'> {
  const text = readString(span.attributes, 'langfuse.observation.usage_details');
  const usage = text === undefined ? undefined : parseJsonText(text)?.value;
  if (usage === null || typeof usage !== 'object') return {};
  const record = usage as Record<string, unknown>;
  const count = (key: string) => {
    const value = record[key];
    return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  };
  return { inputTokens: count('input') ?? count('prompt_tokens'), outputTokens: count('output') ?? count('completion_tokens') };
}

function readLangfuseSpan(span: SpanView): StepFacts {
  const type = readString(span.attributes, 'langfuse.observation.type');
  const requested = type === 'generation' ? readToolCallsAttribute(span.attributes, 'langfuse.observation.output') : undefined;
  return {
    operation: type,
    toolName: type === 'tool' ? span.name : undefined,
    agentName: type === 'agent' ? span.name : undefined,
    requestedToolCalls: requested?.calls,
    cutAttributes: requested?.cut ? ['langfuse.observation.output'] : undefined,
    failed: readString(span.attributes, 'langfuse.observation.level') === 'ERROR' ? true : undefined,
    ...readUsage(span),
  };
}

export const langfuse: ConventionMapping = {
  name: 'langfuse',
  detect: (span) => hasKeyWithPrefix(span.attributes, 'langfuse.') || span.scopeName === 'langfuse-sdk',
  kinds: {
    attribute: 'langfuse.observation.type',
    values: {
      generation: 'model_request',
      embedding: 'model_request',
      tool: 'tool_call',
      agent: 'agent',
      retriever: 'data_access',
    },
  },
  strings: {
    agentName: ['langfuse.trace.name'],
    model: ['langfuse.observation.model.name'],
    principalId: ['langfuse.user.id'],
  },
  read: readLangfuseSpan,
};
