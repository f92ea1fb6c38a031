import { readString } from '../../otlp/attributes.ts';
import { readToolCallsAttribute } from '../messages.ts';
import type { StepFacts } from '../step-facts.ts';
import type { ConventionMapping, SpanView } from './mapping.ts';

// Vercel AI SDK. Version 7 with @ai-sdk/otel's OpenTelemetry integration
// writes the GenAI attributes (read by the GenAI mapping) under the tracer
// names `gen_ai` and `ai`; its LegacyOpenTelemetry integration and SDK
// versions up to 6 write `ai.*` spans whose `ai.operationId` names the
// step: `ai.generateText` around a whole call, `ai.generateText.doGenerate`
// for each model request, `ai.toolCall` for each tool execution.

const scopeNames = new Set(['ai', 'gen_ai', '@ai-sdk/otel']);

function kindOfOperation(operationId: string): StepFacts['kind'] {
  if (operationId === 'ai.toolCall') return 'tool_call';
  if (/\.(doGenerate|doStream|doEmbed)$/.test(operationId)) return 'model_request';
  if (/^ai\.(generateText|streamText|generateObject|streamObject)$/.test(operationId)) return 'agent';
  return undefined;
}

function readLegacySpan(span: SpanView): StepFacts {
  const operationId = readString(span.attributes, 'ai.operationId');
  if (operationId === undefined) return {};
  const kind = kindOfOperation(operationId);
  const requested = kind === 'model_request' ? readToolCallsAttribute(span.attributes, 'ai.response.toolCalls') : undefined;
  return {
    kind,
    operation: operationId,
    // The function id names the calling code: the closest thing to an agent name.
    agentName: kind === 'agent' ? readString(span.attributes, 'ai.telemetry.functionId') : undefined,
    requestedToolCalls: requested?.calls ?? (kind === 'model_request' ? [] : undefined),
    cutAttributes: requested?.cut ? ['ai.response.toolCalls'] : undefined,
  };
}

export const vercelAi: ConventionMapping = {
  name: 'vercel_ai',
  detect: (span) => span.attributes.has('ai.operationId') || scopeNames.has(span.scopeName),
  strings: {
    model: ['ai.response.model', 'ai.model.id'],
    provider: ['ai.model.provider'],
    toolName: ['ai.toolCall.name'],
    toolCallId: ['ai.toolCall.id'],
    principalId: ['ai.telemetry.metadata.userId'],
  },
  counts: {
    inputTokens: ['ai.usage.inputTokens', 'ai.usage.promptTokens'],
    outputTokens: ['ai.usage.outputTokens', 'ai.usage.completionTokens'],
  },
  read: readLegacySpan,
};
