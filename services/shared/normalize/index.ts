import type { AuditEvent, Convention, StepStatus } from '../../../schemas/audit-event.ts';
import type { Span, TracesData } from '../../../schemas/otlp.ts';
import { readString, toAttributeMap, type AttributeMap } from '../otlp/attributes.ts';
import { hasGenAiAttributes, readGenAiFacts } from './genai.ts';
import { hasMcpAttributes, readMcpFacts } from './mcp.ts';
import { assignSessions, spanKey, type SessionAssignment } from './session.ts';
import { mergeFacts, type StepFacts } from './step-facts.ts';

const principalKeys = ['user.id', 'enduser.id'] as const;

function readPrincipal(span: AttributeMap, resource: AttributeMap): string {
  for (const attributes of [span, resource]) {
    for (const key of principalKeys) {
      const value = readString(attributes, key);
      if (value) return value;
    }
  }
  return '';
}

// A span from a database client names what it touched even when no GenAI
// convention applies, and that is data access an investigator needs to see.
function readDataFacts(attributes: AttributeMap): StepFacts {
  const system = readString(attributes, 'db.system.name') ?? readString(attributes, 'db.system');
  if (system === undefined) return {};
  const namespace = readString(attributes, 'db.namespace');
  const collection = readString(attributes, 'db.collection.name');
  const target = [namespace, collection].filter(Boolean).join('.');
  return { kind: 'data_access', resourceUri: target ? `${system}:${target}` : system };
}

function toStatus(span: Span, facts: StepFacts): StepStatus {
  if (span.status.code === 2 || facts.failed) return 'error';
  return span.status.code === 1 ? 'ok' : 'unset';
}

function detectConvention(attributes: AttributeMap): Convention {
  if (hasMcpAttributes(attributes)) return 'mcp';
  if (hasGenAiAttributes(attributes)) return 'gen_ai';
  return 'none';
}

function normalizeSpan(
  span: Span,
  resource: AttributeMap,
  scopeName: string,
  session: SessionAssignment,
): AuditEvent {
  const attributes = toAttributeMap(span.attributes);
  // MCP facts first: an MCP tool span also carries gen_ai.operation.name, and
  // the MCP method is the more specific of the two.
  const facts = mergeFacts(
    readMcpFacts(span.name, attributes),
    readGenAiFacts(span.name, attributes),
    readDataFacts(attributes),
  );

  return {
    sessionId: session.sessionId,
    sessionSource: session.source,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    kind: facts.kind ?? 'span',
    name: span.name,
    operation: facts.operation ?? '',
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    status: toStatus(span, facts),
    statusMessage: span.status.message,
    serviceName: readString(resource, 'service.name') ?? '',
    scopeName,
    agentId: facts.agentId ?? '',
    agentName: facts.agentName ?? '',
    principalId: readPrincipal(attributes, resource),
    model: facts.model ?? '',
    provider: facts.provider ?? '',
    toolName: facts.toolName ?? '',
    toolCallId: facts.toolCallId ?? '',
    mcpMethod: facts.mcpMethod ?? '',
    mcpSessionId: facts.mcpSessionId ?? '',
    resourceUri: facts.resourceUri ?? '',
    inputTokens: facts.inputTokens ?? null,
    outputTokens: facts.outputTokens ?? null,
    convention: detectConvention(attributes),
  };
}

/** Normalizes every span of already validated trace data into audit events. */
export function normalizeTraces(data: TracesData): AuditEvent[] {
  const sessions = assignSessions(data);
  const events: AuditEvent[] = [];
  for (const resourceSpans of data.resourceSpans) {
    const resource = toAttributeMap(resourceSpans.resource.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const session = sessions.get(spanKey(span.traceId, span.spanId));
        if (session === undefined) throw new Error(`no session assigned to span ${span.spanId}`);
        events.push(normalizeSpan(span, resource, scopeSpans.scope.name, session));
      }
    }
  }
  return events;
}
