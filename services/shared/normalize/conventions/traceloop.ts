import { readString } from '../../otlp/attributes.ts';
import type { StepFacts } from '../step-facts.ts';
import { hasKeyWithPrefix, type ConventionMapping, type SpanView } from './mapping.ts';

// OpenLLMetry (Traceloop): `traceloop.span.kind` marks workflow, task, agent
// and tool spans, `llm.request.type` marks model requests, and association
// properties carry the session and user. Messages use the indexed
// `gen_ai.prompt.{i}.*` / `gen_ai.completion.{i}.*` attributes, which the
// GenAI mapping reads. The MCP instrumentation names client tool spans
// `{tool}.tool` and other requests `{method}.mcp`.

function readTraceloopSpan(span: SpanView): StepFacts {
  const spanKind = readString(span.attributes, 'traceloop.span.kind');
  const entityName = readString(span.attributes, 'traceloop.entity.name');
  const mcpMethod = /^(.+)\.mcp$/.exec(span.name)?.[1];
  return {
    operation: spanKind ?? readString(span.attributes, 'llm.request.type') ?? mcpMethod,
    toolName: spanKind === 'tool' ? entityName : undefined,
    agentName: spanKind === 'agent' || spanKind === 'workflow' ? entityName : undefined,
    mcpMethod: spanKind === 'tool' && span.name.endsWith('.tool') ? 'tools/call' : mcpMethod,
  };
}

export const traceloop: ConventionMapping = {
  name: 'traceloop',
  detect: (span) =>
    hasKeyWithPrefix(span.attributes, 'traceloop.') ||
    span.attributes.has('llm.request.type') ||
    span.scopeName.startsWith('@traceloop/'),
  kinds: {
    attribute: 'traceloop.span.kind',
    values: { tool: 'tool_call', agent: 'agent', workflow: 'agent' },
  },
  strings: {
    agentName: ['traceloop.workflow.name'],
    model: ['gen_ai.response.model', 'gen_ai.request.model'],
    provider: ['gen_ai.system'],
    principalId: ['traceloop.association.properties.user_id'],
  },
  counts: {
    inputTokens: ['gen_ai.usage.prompt_tokens', 'llm.usage.prompt_tokens'],
    outputTokens: ['gen_ai.usage.completion_tokens', 'llm.usage.completion_tokens'],
  },
  read: (span) => {
    const facts = readTraceloopSpan(span);
    const requestType = readString(span.attributes, 'llm.request.type');
    if (requestType !== undefined && facts.kind === undefined) {
      facts.kind = requestType === 'rerank' ? 'data_access' : 'model_request';
    }
    return facts;
  },
};
