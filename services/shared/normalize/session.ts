import type { TracesData } from '../../../schemas/otlp.ts';
import { readString, toAttributeMap, type AttributeMap } from '../otlp/attributes.ts';

// Attributes that name the session, in order of precedence: the OpenTelemetry
// GenAI conversation id, the general `session.id` (also written by
// OpenInference and Langfuse), then the library-specific forms of Langfuse,
// OpenLLMetry and the AI SDK's legacy telemetry metadata. A span's own
// attributes win over its resource's. `mcp.session.id` is left out on
// purpose: it names one client-server connection, which may carry many
// conversations.
export const sessionAttributeKeys = [
  'gen_ai.conversation.id',
  'session.id',
  'langfuse.session.id',
  'traceloop.association.properties.session_id',
  'ai.telemetry.metadata.sessionId',
] as const;

export const FALLBACK_SESSION_SOURCE = 'trace_id';

export interface SessionAssignment {
  sessionId: string;
  /** The attribute that named the session, prefixed `resource.` when it came from the resource. */
  source: string;
  /** False when the trace id stands in because no span named a session. */
  explicit: boolean;
}

function findSessionAttribute(span: AttributeMap, resource: AttributeMap): SessionAssignment | null {
  for (const key of sessionAttributeKeys) {
    const value = readString(span, key);
    if (value) return { sessionId: value, source: key, explicit: true };
  }
  for (const key of sessionAttributeKeys) {
    const value = readString(resource, key);
    if (value) return { sessionId: value, source: `resource.${key}`, explicit: true };
  }
  return null;
}

export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}:${spanId}`;
}

/**
 * Assigns every span in the data a session. A span that names no session
 * takes the session another span of its trace names in the same data, and
 * failing that its trace id. Spans of the trace that arrive in later requests
 * are joined to the session when read: see session_index.
 */
export function assignSessions(data: TracesData): Map<string, SessionAssignment> {
  const own = new Map<string, SessionAssignment | null>();
  const byTrace = new Map<string, SessionAssignment>();

  for (const resourceSpans of data.resourceSpans) {
    const resource = toAttributeMap(resourceSpans.resource.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const found = findSessionAttribute(toAttributeMap(span.attributes), resource);
        own.set(spanKey(span.traceId, span.spanId), found);
        if (found && !byTrace.has(span.traceId)) byTrace.set(span.traceId, found);
      }
    }
  }

  const assignments = new Map<string, SessionAssignment>();
  for (const [key, found] of own) {
    const traceId = key.slice(0, key.indexOf(':'));
    assignments.set(
      key,
      found ?? byTrace.get(traceId) ?? { sessionId: traceId, source: FALLBACK_SESSION_SOURCE, explicit: false },
    );
  }
  return assignments;
}
