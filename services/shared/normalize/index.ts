import type { AuditEvent, StepStatus } from '../../../schemas/audit-event.ts';
import type { AuditFacts } from '../../../schemas/audit-facts.ts';
import type { Span, TracesData } from '../../../schemas/otlp.ts';
import { readString, toAttributeMap, type AttributeMap } from '../otlp/attributes.ts';
import { findOversizedAttributes, DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES } from './attribute-cap.ts';
import { readAuditFacts } from './audit-facts.ts';
import { readConventions } from './conventions/index.ts';
import { assignSessions, spanKey, type SessionAssignment } from './session.ts';
import { mergeFacts, type StepFacts } from './step-facts.ts';

export interface NormalizeOptions {
  /** Maximum attribute value length stored, in UTF-8 bytes; longer values are cut and listed in truncatedAttributes. */
  maxAttributeValueBytes: number;
}

const defaultOptions: NormalizeOptions = { maxAttributeValueBytes: DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES };

// Attributes that name the principal, in order of precedence: the
// OpenTelemetry general attributes first, then the Langfuse, OpenLLMetry and
// AI SDK legacy forms.
const principalKeys = [
  'user.id',
  'enduser.id',
  'langfuse.user.id',
  'traceloop.association.properties.user_id',
  'ai.telemetry.metadata.userId',
] as const;

const spanKindNames = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'] as const;

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

// A span no convention classifies may still be an approval decision or a data
// access by the audit attribute convention alone.
function kindFromAuditFacts(facts: AuditFacts): AuditEvent['kind'] {
  if (facts.approvals.some((approval) => approval.source === 'audit' && approval.decision !== '')) return 'approval';
  if (facts.data.resources.length > 0) return 'data_access';
  return 'span';
}

function toStatus(span: Span, facts: StepFacts): StepStatus {
  if (span.status.code === 2 || facts.failed) return 'error';
  return span.status.code === 1 ? 'ok' : 'unset';
}

function normalizeSpan(
  span: Span,
  resource: AttributeMap,
  scopeName: string,
  session: SessionAssignment,
  options: NormalizeOptions,
): AuditEvent {
  const attributes = toAttributeMap(span.attributes);
  const read = readConventions({ name: span.name, kind: span.kind, attributes, resource, scopeName });
  const facts = mergeFacts(read.facts, readDataFacts(attributes));
  const oversized = findOversizedAttributes(span.attributes, options.maxAttributeValueBytes);
  const auditFacts = readAuditFacts(attributes, resource);

  return {
    sessionId: session.sessionId,
    sessionSource: session.source,
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    kind: facts.kind ?? kindFromAuditFacts(auditFacts),
    name: span.name,
    operation: facts.operation ?? '',
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    status: toStatus(span, facts),
    statusMessage: span.status.message,
    serviceName: readString(resource, 'service.name') ?? '',
    scopeName,
    agentId: auditFacts.authority.agentId || (facts.agentId ?? ''),
    agentName: facts.agentName ?? '',
    principalId: auditFacts.authority.principalId || readPrincipal(attributes, resource) || (facts.principalId ?? ''),
    model: facts.model ?? '',
    provider: facts.provider ?? '',
    toolName: facts.toolName ?? '',
    toolCallId: facts.toolCallId ?? '',
    mcpMethod: facts.mcpMethod ?? '',
    mcpSessionId: facts.mcpSessionId ?? '',
    resourceUri: facts.resourceUri ?? '',
    inputTokens: facts.inputTokens ?? null,
    outputTokens: facts.outputTokens ?? null,
    convention: read.conventions[0] ?? 'none',
    conventions: read.conventions,
    spanKind: spanKindNames[span.kind] ?? 'unspecified',
    requestedToolCalls: facts.requestedToolCalls ?? [],
    rpcRequestId: facts.rpcRequestId ?? '',
    links: span.links
      .filter((link) => /^[0-9a-f]{32}$/.test(link.traceId) && /^[0-9a-f]{16}$/.test(link.spanId))
      .map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
    // Values the sender cut mid-JSON are listed with the ones cut here, so
    // the investigator learns that a message may be incomplete either way.
    truncatedAttributes: [...new Set([...oversized, ...(facts.cutAttributes ?? [])])],
    facts: auditFacts,
  };
}

/** Normalizes every span of already validated trace data into audit events. */
export function normalizeTraces(data: TracesData, options: NormalizeOptions = defaultOptions): AuditEvent[] {
  const sessions = assignSessions(data);
  const events: AuditEvent[] = [];
  for (const resourceSpans of data.resourceSpans) {
    const resource = toAttributeMap(resourceSpans.resource.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const session = sessions.get(spanKey(span.traceId, span.spanId));
        if (session === undefined) throw new Error(`no session assigned to span ${span.spanId}`);
        events.push(normalizeSpan(span, resource, scopeSpans.scope.name, session, options));
      }
    }
  }
  inheritFromAncestors(events);
  return events;
}

/**
 * Gives a span without its own principal or agent id those of its nearest
 * ancestor in the same request: instrumentations often set them once, on the
 * agent's root span. Ancestors that arrive in another request are applied
 * when the timeline is read.
 */
function inheritFromAncestors(events: AuditEvent[]): void {
  const bySpan = new Map(events.map((event) => [spanKey(event.traceId, event.spanId), event]));
  const resolve = (event: AuditEvent, field: 'principalId' | 'agentId', seen: Set<AuditEvent>): string => {
    if (event[field] !== '' || seen.has(event)) return event[field];
    seen.add(event);
    const parent = event.parentSpanId === '' ? undefined : bySpan.get(spanKey(event.traceId, event.parentSpanId));
    return parent === undefined ? '' : resolve(parent, field, seen);
  };
  const inherited = events.map((event) => ({
    event,
    principalId: resolve(event, 'principalId', new Set()),
    agentId: resolve(event, 'agentId', new Set()),
  }));
  for (const { event, principalId, agentId } of inherited) {
    event.principalId = principalId;
    event.agentId = agentId;
  }
}
