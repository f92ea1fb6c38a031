import type { LogsData } from '../../../schemas/otlp-logs.ts';
import { readString, toAttributeMap, toAttributeString } from '../otlp/attributes.ts';
import { capText, DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES, toCappedAttributeRecord } from '../normalize/attribute-cap.ts';
import type { AuditLogEvent } from '../normalize/logs.ts';
import { toDateTime64Text } from './clickhouse.ts';
import { emptySpanRows, type SpanRows } from './span-store.ts';

// Rows for otel_logs (raw records) and audit_log_events (normalized), built
// from the same decoded data in the same order. They ride in SpanRows, so the
// writer buffers, inserts and commits them with the spans.

/**
 * Builds the rows of decoded logs, as a batch that carries log records only;
 * `events` is normalizeLogs' output for the same data.
 */
export function buildLogRows(
  data: LogsData,
  events: readonly AuditLogEvent[],
  maxValueBytes = DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES,
): SpanRows {
  const otelLogs: Record<string, unknown>[] = [];
  let index = 0;
  for (const resourceLogs of data.resourceLogs) {
    const resourceAttributes = toCappedAttributeRecord(resourceLogs.resource.attributes, maxValueBytes);
    const serviceName = readString(toAttributeMap(resourceLogs.resource.attributes), 'service.name') ?? '';
    for (const scopeLogs of resourceLogs.scopeLogs) {
      for (const record of scopeLogs.logRecords) {
        const event = events[index];
        index += 1;
        if (event === undefined) throw new Error('normalized log events do not match the log records');
        otelLogs.push({
          Timestamp: toDateTime64Text(event.timeUnixNano),
          TraceId: record.traceId,
          SpanId: record.spanId,
          SeverityText: record.severityText,
          SeverityNumber: record.severityNumber,
          ServiceName: serviceName,
          Body: capText(toAttributeString(record.body), maxValueBytes),
          ResourceAttributes: resourceAttributes,
          ScopeName: scopeLogs.scope.name,
          ScopeVersion: scopeLogs.scope.version,
          LogAttributes: toCappedAttributeRecord(record.attributes, maxValueBytes),
          EventName: event.eventName,
          SessionId: event.sessionId,
          RecordId: event.recordId,
        });
      }
    }
  }
  return { ...emptySpanRows(), otelLogs, auditLogEvents: events.map(toAuditLogEventRow) };
}

function toAuditLogEventRow(event: AuditLogEvent): Record<string, unknown> {
  return {
    SessionId: event.sessionId,
    SessionSource: event.sessionSource,
    RecordId: event.recordId,
    TraceId: event.traceId,
    SpanId: event.spanId,
    Timestamp: toDateTime64Text(event.timeUnixNano),
    EventName: event.eventName,
    Kind: event.kind,
    ServiceName: event.serviceName,
    PrincipalId: event.principalId,
    RequestedToolCallIds: event.requestedToolCalls.map((call) => call.id),
    RequestedToolNames: event.requestedToolCalls.map((call) => call.name),
    ToolName: event.toolName,
    ToolCallId: event.toolCallId,
    Decision: event.decision,
    DecisionSource: event.decisionSource,
  };
}
