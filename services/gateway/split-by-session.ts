import type { TracesData } from '../../schemas/otlp.ts';
import { assignSessions, spanKey } from '../shared/normalize/session.ts';

/**
 * Splits trace data into one TracesData per session, keeping each span under
 * its own resource and scope, so each session can be written to Kafka as one
 * message keyed by its id.
 */
export function splitBySession(data: TracesData): Map<string, TracesData> {
  const sessions = assignSessions(data);
  const bySession = new Map<string, TracesData>();

  for (const resourceSpans of data.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const sessionId = sessions.get(spanKey(span.traceId, span.spanId))?.sessionId ?? span.traceId;
        let target = bySession.get(sessionId);
        if (target === undefined) {
          target = { resourceSpans: [] };
          bySession.set(sessionId, target);
        }
        let targetResource = target.resourceSpans.find((candidate) => candidate.resource === resourceSpans.resource);
        if (targetResource === undefined) {
          targetResource = { resource: resourceSpans.resource, schemaUrl: resourceSpans.schemaUrl, scopeSpans: [] };
          target.resourceSpans.push(targetResource);
        }
        let targetScope = targetResource.scopeSpans.find((candidate) => candidate.scope === scopeSpans.scope);
        if (targetScope === undefined) {
          targetScope = { scope: scopeSpans.scope, schemaUrl: scopeSpans.schemaUrl, spans: [] };
          targetResource.scopeSpans.push(targetScope);
        }
        targetScope.spans.push(span);
      }
    }
  }
  return bySession;
}
