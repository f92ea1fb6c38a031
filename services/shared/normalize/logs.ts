import { createHash } from 'node:crypto';
import type { RequestedToolCall } from '../../../schemas/audit-event.ts';
import type { LogRecord, LogsData } from '../../../schemas/otlp-logs.ts';
import { readString, toAttributeMap, toJsonNative, type AttributeMap } from '../otlp/attributes.ts';
import { collectToolCalls, parseJsonText, readToolCallsAttribute } from './messages.ts';
import { sessionAttributeKeys } from './session.ts';

// GenAI instrumentations put message content, the tool calls a model chose
// and coding agents' tool decisions into log records rather than spans. Each
// record becomes one audit log event: what kind of event it is, the span it
// belongs to, and the facts the timeline folds into that span's step.

export type LogEventKind = 'operation_details' | 'choice' | 'message' | 'tool_decision' | 'other';

export interface AuditLogEvent {
  sessionId: string;
  sessionSource: string;
  /** Content hash of the record; a redelivered record gets the same id. */
  recordId: string;
  traceId: string;
  spanId: string;
  timeUnixNano: bigint;
  eventName: string;
  kind: LogEventKind;
  serviceName: string;
  principalId: string;
  /** Tool calls the model chose, from a choice or operation-details event. */
  requestedToolCalls: RequestedToolCall[];
  toolName: string;
  toolCallId: string;
  /** Outcome of a tool decision as the agent wrote it (accept, reject, approved, denied...). */
  decision: string;
  /** Origin of the decision: configuration, the user, a hook. */
  decisionSource: string;
}

const messageEvents = new Set([
  'gen_ai.system.message',
  'gen_ai.user.message',
  'gen_ai.assistant.message',
  'gen_ai.tool.message',
]);

function eventNameOf(record: LogRecord, attributes: AttributeMap): string {
  // Older instrumentations put the name in an `event.name` attribute.
  return record.eventName || readString(attributes, 'event.name') || '';
}

function kindOf(eventName: string, attributes: AttributeMap): LogEventKind {
  if (eventName === 'gen_ai.client.inference.operation.details') return 'operation_details';
  if (eventName === 'gen_ai.choice') return 'choice';
  if (messageEvents.has(eventName)) return 'message';
  // Coding agents: claude_code.tool_decision and codex.tool_decision name
  // the event so; Gemini CLI reports the decision on its tool call event.
  if (eventName.endsWith('.tool_decision') || (eventName.endsWith('.tool_call') && attributes.has('decision'))) {
    return 'tool_decision';
  }
  return 'other';
}

function bodyValue(record: LogRecord): unknown {
  const native = toJsonNative(record.body);
  return typeof native === 'string' ? (parseJsonText(native)?.value ?? native) : native;
}

function readRequestedToolCalls(kind: LogEventKind, record: LogRecord, attributes: AttributeMap): RequestedToolCall[] {
  if (kind === 'operation_details') return readToolCallsAttribute(attributes, 'gen_ai.output.messages')?.calls ?? [];
  if (kind === 'choice') return collectToolCalls(bodyValue(record));
  return [];
}

function firstAttribute(attributes: AttributeMap, keys: readonly string[]): string {
  for (const key of keys) {
    const value = readString(attributes, key);
    if (value) return value;
  }
  return '';
}

function recordIdOf(record: LogRecord, resourceKey: string): string {
  const hash = createHash('sha256');
  hash.update(resourceKey);
  hash.update(`${record.traceId}:${record.spanId}:${record.timeUnixNano}:${record.observedTimeUnixNano}:${record.eventName}`);
  hash.update(JSON.stringify(toJsonNative(record.body)));
  for (const { key, value } of record.attributes) hash.update(`${key}=${JSON.stringify(toJsonNative(value))};`);
  return hash.digest('hex').slice(0, 32);
}

function findSession(attributes: AttributeMap, resource: AttributeMap, traceId: string): { sessionId: string; source: string } {
  for (const key of sessionAttributeKeys) {
    const value = readString(attributes, key);
    if (value) return { sessionId: value, source: key };
  }
  for (const key of sessionAttributeKeys) {
    const value = readString(resource, key);
    if (value) return { sessionId: value, source: `resource.${key}` };
  }
  // A record of a span without a session is read with that span's trace,
  // which the timeline finds through session_index.
  if (traceId) return { sessionId: traceId, source: 'trace_id' };
  return { sessionId: '', source: '' };
}

/** Normalizes every log record; a record that names no session and no trace gets an empty session id. */
export function normalizeLogs(data: LogsData, receivedAtUnixNano: bigint): AuditLogEvent[] {
  const events: AuditLogEvent[] = [];
  for (const resourceLogs of data.resourceLogs) {
    const resource = toAttributeMap(resourceLogs.resource.attributes);
    const resourceKey = JSON.stringify(resourceLogs.resource.attributes.map(({ key, value }) => [key, toJsonNative(value)]));
    for (const scopeLogs of resourceLogs.scopeLogs) {
      for (const record of scopeLogs.logRecords) {
        const attributes = toAttributeMap(record.attributes);
        const eventName = eventNameOf(record, attributes);
        const kind = kindOf(eventName, attributes);
        const session = findSession(attributes, resource, record.traceId);
        const body = kind === 'message' ? bodyValue(record) : undefined;
        const messageCallId = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)['id'] : undefined;
        events.push({
          sessionId: session.sessionId,
          sessionSource: session.source,
          recordId: recordIdOf(record, resourceKey),
          traceId: record.traceId,
          spanId: record.spanId,
          timeUnixNano: record.timeUnixNano || record.observedTimeUnixNano || receivedAtUnixNano,
          eventName,
          kind,
          serviceName: readString(resource, 'service.name') ?? '',
          principalId: firstAttribute(attributes, ['user.id', 'enduser.id', 'user.email']) || firstAttribute(resource, ['user.id']),
          requestedToolCalls: readRequestedToolCalls(kind, record, attributes),
          toolName: firstAttribute(attributes, ['tool_name', 'gen_ai.tool.name', 'function_name', 'tool.name']),
          toolCallId:
            firstAttribute(attributes, ['call_id', 'tool_call_id', 'gen_ai.tool.call.id', 'tool_use_id']) ||
            (eventName === 'gen_ai.tool.message' && typeof messageCallId === 'string' ? messageCallId : ''),
          decision: kind === 'tool_decision' ? firstAttribute(attributes, ['decision', 'gen_ai.tool.decision']) : '',
          decisionSource: kind === 'tool_decision' ? firstAttribute(attributes, ['source', 'decision_source']) : '',
        });
      }
    }
  }
  return events;
}
