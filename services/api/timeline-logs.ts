import type { AuditEvent } from '../../schemas/audit-event.ts';
import { emptyAuditFacts } from '../../schemas/audit-facts.ts';
import type { AuditLogEvent } from '../shared/normalize/logs.ts';
import { formatUnixNano } from './time-format.ts';
import { eventKey } from './timeline-placement.ts';

// Folds a session's log events into its span events. A GenAI message,
// choice or operation-details event of a stored span belongs to that span's
// step: its tool calls join the step's requested calls, and its name is
// listed on the step. Tool decisions, and events whose span is not stored,
// become steps of their own, placed under their span when it arrives.

export interface FoldedLogEvent {
  name: string;
  time: string;
  kind: AuditLogEvent['kind'];
}

export interface LogFold {
  /** The span events with their requested tool calls completed from log events. */
  events: AuditEvent[];
  /** Log events shown inside a span's step, by span key. */
  foldedBySpan: Map<string, FoldedLogEvent[]>;
  /** Log events that stand as steps of their own, by their pseudo span key. */
  standalone: Map<string, AuditLogEvent>;
}

const foldableKinds = new Set<AuditLogEvent['kind']>(['choice', 'operation_details', 'message']);

function toPseudoEvent(log: AuditLogEvent): AuditEvent {
  const name = log.toolName ? `${log.eventName} ${log.toolName}` : log.eventName || 'log event';
  return {
    sessionId: log.sessionId,
    sessionSource: log.sessionSource,
    traceId: log.traceId,
    // Record ids are hex content hashes; 16 digits give the step a span-shaped id.
    spanId: log.recordId.slice(0, 16),
    parentSpanId: log.spanId,
    kind: log.kind === 'tool_decision' ? 'approval' : 'span',
    name,
    operation: log.kind,
    startTimeUnixNano: log.timeUnixNano,
    endTimeUnixNano: log.timeUnixNano,
    status: 'unset',
    statusMessage: '',
    serviceName: log.serviceName,
    scopeName: '',
    agentId: '',
    agentName: '',
    principalId: log.principalId,
    model: '',
    provider: '',
    toolName: log.toolName,
    toolCallId: log.toolCallId,
    mcpMethod: '',
    mcpSessionId: '',
    resourceUri: '',
    inputTokens: null,
    outputTokens: null,
    convention: 'gen_ai',
    conventions: [],
    spanKind: 'unspecified',
    requestedToolCalls: [],
    rpcRequestId: '',
    links: [],
    truncatedAttributes: [],
    facts: emptyAuditFacts(),
  };
}

export function foldLogEvents(events: readonly AuditEvent[], logs: readonly AuditLogEvent[]): LogFold {
  const byKey = new Map(events.map((event) => [eventKey(event), { ...event }]));
  const foldedBySpan = new Map<string, FoldedLogEvent[]>();
  const standalone = new Map<string, AuditLogEvent>();

  for (const log of logs) {
    const spanKey = `${log.traceId}:${log.spanId}`;
    const target = log.spanId === '' ? undefined : byKey.get(spanKey);
    if (target !== undefined && foldableKinds.has(log.kind)) {
      const known = new Set(target.requestedToolCalls.map((call) => call.id));
      const added = log.requestedToolCalls.filter((call) => !known.has(call.id));
      if (added.length > 0) target.requestedToolCalls = [...target.requestedToolCalls, ...added];
      const list = foldedBySpan.get(spanKey) ?? [];
      list.push({ name: log.eventName, time: formatUnixNano(log.timeUnixNano), kind: log.kind });
      foldedBySpan.set(spanKey, list);
      continue;
    }
    const pseudo = toPseudoEvent(log);
    const key = eventKey(pseudo);
    if (byKey.has(key)) continue;
    byKey.set(key, pseudo);
    standalone.set(key, log);
  }
  return { events: [...byKey.values()], foldedBySpan, standalone };
}
