import { Readable } from 'node:stream';
import type { AuditEvent } from '../../../schemas/audit-event.ts';
import { toAuditFactColumns } from './audit-facts-columns.ts';
import type { TracesData } from '../../../schemas/otlp.ts';
import { readString, toAttributeMap } from '../otlp/attributes.ts';
import { DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES, toCappedAttributeRecord } from '../normalize/attribute-cap.ts';
import { spanKey } from '../normalize/session.ts';
import { toDateTime64Text, type ClickHouseClient } from './clickhouse.ts';
import { toTraceCorrelationRows } from './trace-correlations.ts';

// Names the OpenTelemetry Collector's ClickHouse exporter writes for span
// kinds and status codes; Grafana's trace view reads these.
const spanKindNames = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'] as const;
const statusCodeNames = ['Unset', 'Ok', 'Error'] as const;

/** The rows one batch of spans adds to the three tables. */
export interface SpanRows {
  otelTraces: Record<string, unknown>[];
  auditEvents: Record<string, unknown>[];
  sessionIndex: Record<string, unknown>[];
  traceCorrelations: Record<string, unknown>[];
  /** Log records, which travel and are inserted with the spans of the same batch. */
  otelLogs: Record<string, unknown>[];
  auditLogEvents: Record<string, unknown>[];
}

export function emptySpanRows(): SpanRows {
  return { otelTraces: [], auditEvents: [], sessionIndex: [], traceCorrelations: [], otelLogs: [], auditLogEvents: [] };
}

/** Spans and log records in the batch. */
export function countRows(rows: SpanRows): number {
  return rows.auditEvents.length + rows.auditLogEvents.length;
}

function toOtelTraceRows(
  data: TracesData,
  sessionBySpan: Map<string, string>,
  maxValueBytes: number,
): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const toAttributeRecord = (attributes: Parameters<typeof toCappedAttributeRecord>[0]) =>
    toCappedAttributeRecord(attributes, maxValueBytes);
  for (const resourceSpans of data.resourceSpans) {
    const resourceAttributes = toAttributeRecord(resourceSpans.resource.attributes);
    const serviceName = readString(toAttributeMap(resourceSpans.resource.attributes), 'service.name') ?? '';
    for (const scopeSpans of resourceSpans.scopeSpans) {
      for (const span of scopeSpans.spans) {
        const duration = span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n;
        rows.push({
          Timestamp: toDateTime64Text(span.startTimeUnixNano),
          TraceId: span.traceId,
          SpanId: span.spanId,
          ParentSpanId: span.parentSpanId,
          TraceState: span.traceState,
          SpanName: span.name,
          SpanKind: spanKindNames[span.kind],
          ServiceName: serviceName,
          ResourceAttributes: resourceAttributes,
          ScopeName: scopeSpans.scope.name,
          ScopeVersion: scopeSpans.scope.version,
          SpanAttributes: toAttributeRecord(span.attributes),
          Duration: duration.toString(),
          StatusCode: statusCodeNames[span.status.code],
          StatusMessage: span.status.message,
          'Events.Timestamp': span.events.map((event) => toDateTime64Text(event.timeUnixNano)),
          'Events.Name': span.events.map((event) => event.name),
          'Events.Attributes': span.events.map((event) => toAttributeRecord(event.attributes)),
          'Links.TraceId': span.links.map((link) => link.traceId),
          'Links.SpanId': span.links.map((link) => link.spanId),
          'Links.TraceState': span.links.map((link) => link.traceState),
          'Links.Attributes': span.links.map((link) => toAttributeRecord(link.attributes)),
          SessionId: sessionBySpan.get(spanKey(span.traceId, span.spanId)) ?? '',
        });
      }
    }
  }
  return rows;
}

function toAuditEventRow(event: AuditEvent): Record<string, unknown> {
  return {
    SessionId: event.sessionId,
    SessionSource: event.sessionSource,
    TraceId: event.traceId,
    SpanId: event.spanId,
    ParentSpanId: event.parentSpanId,
    Kind: event.kind,
    Name: event.name,
    Operation: event.operation,
    StartTime: toDateTime64Text(event.startTimeUnixNano),
    EndTime: toDateTime64Text(event.endTimeUnixNano),
    Status: event.status,
    StatusMessage: event.statusMessage,
    ServiceName: event.serviceName,
    ScopeName: event.scopeName,
    AgentId: event.agentId,
    AgentName: event.agentName,
    PrincipalId: event.principalId,
    Model: event.model,
    Provider: event.provider,
    ToolName: event.toolName,
    ToolCallId: event.toolCallId,
    McpMethod: event.mcpMethod,
    McpSessionId: event.mcpSessionId,
    ResourceUri: event.resourceUri,
    InputTokens: event.inputTokens,
    OutputTokens: event.outputTokens,
    Convention: event.convention,
    Conventions: event.conventions,
    SpanKind: event.spanKind,
    RequestedToolCallIds: event.requestedToolCalls.map((call) => call.id),
    RequestedToolNames: event.requestedToolCalls.map((call) => call.name),
    RpcRequestId: event.rpcRequestId,
    LinkTraceIds: event.links.map((link) => link.traceId),
    LinkSpanIds: event.links.map((link) => link.spanId),
    TruncatedAttributes: event.truncatedAttributes,
    ...toAuditFactColumns(event.facts),
  };
}

function addIfPresent(set: Set<string>, value: string): void {
  if (value !== '') set.add(value);
}

/** One session_index row per (session, trace) in the batch, carrying what the session list filters on. */
function toSessionIndexRows(events: readonly AuditEvent[]): Record<string, unknown>[] {
  interface Entry {
    sessionId: string;
    traceId: string;
    explicit: boolean;
    source: string;
    start: bigint;
    end: bigint;
    agents: Set<string>;
    principals: Set<string>;
    tools: Set<string>;
    models: Set<string>;
    resources: Set<string>;
    approvalDecisions: Set<string>;
    credentialTypes: Set<string>;
    agentIds: Set<string>;
  }
  const entries = new Map<string, Entry>();
  for (const event of events) {
    const key = `${event.sessionId}\u0000${event.traceId}`;
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = {
        sessionId: event.sessionId,
        traceId: event.traceId,
        explicit: event.sessionSource !== 'trace_id',
        source: event.sessionSource,
        start: event.startTimeUnixNano,
        end: event.startTimeUnixNano,
        agents: new Set(),
        principals: new Set(),
        tools: new Set(),
        models: new Set(),
        resources: new Set(),
        approvalDecisions: new Set(),
        credentialTypes: new Set(),
        agentIds: new Set(),
      };
      entries.set(key, entry);
    }
    if (event.startTimeUnixNano < entry.start) entry.start = event.startTimeUnixNano;
    // A span that ends before it starts still falls inside [start, end], which
    // the timeline read relies on to find it.
    const end = event.endTimeUnixNano > event.startTimeUnixNano ? event.endTimeUnixNano : event.startTimeUnixNano;
    if (end > entry.end) entry.end = end;
    addIfPresent(entry.agents, event.agentName || event.agentId);
    addIfPresent(entry.principals, event.principalId);
    addIfPresent(entry.tools, event.toolName);
    addIfPresent(entry.models, event.model);
    for (const resource of event.facts.data.resources) addIfPresent(entry.resources, resource);
    for (const approval of event.facts.approvals) addIfPresent(entry.approvalDecisions, approval.decision);
    addIfPresent(entry.credentialTypes, event.facts.authority.credentialType);
    addIfPresent(entry.agentIds, event.agentId);
  }
  return [...entries.values()].map((entry) => ({
    SessionId: entry.sessionId,
    TraceId: entry.traceId,
    Explicit: entry.explicit ? 1 : 0,
    SessionSource: entry.source,
    StartTime: toDateTime64Text(entry.start),
    EndTime: toDateTime64Text(entry.end),
    Agents: [...entry.agents],
    Principals: [...entry.principals],
    Tools: [...entry.tools],
    Models: [...entry.models],
    Resources: [...entry.resources],
    ApprovalDecisions: [...entry.approvalDecisions],
    CredentialTypes: [...entry.credentialTypes],
    AgentIds: [...entry.agentIds],
  }));
}

/**
 * Builds the rows for validated trace data and its audit events. Attribute
 * values longer than maxAttributeValueBytes are stored cut, with a mark.
 */
export function buildSpanRows(
  data: TracesData,
  events: readonly AuditEvent[],
  maxAttributeValueBytes = DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES,
): SpanRows {
  const sessionBySpan = new Map(events.map((event) => [spanKey(event.traceId, event.spanId), event.sessionId]));
  return {
    otelTraces: toOtelTraceRows(data, sessionBySpan, maxAttributeValueBytes),
    auditEvents: events.map(toAuditEventRow),
    sessionIndex: toSessionIndexRows(events),
    traceCorrelations: toTraceCorrelationRows(events),
    otelLogs: [],
    auditLogEvents: [],
  };
}

export function appendSpanRows(target: SpanRows, source: SpanRows): void {
  target.otelTraces.push(...source.otelTraces);
  target.auditEvents.push(...source.auditEvents);
  target.sessionIndex.push(...source.sessionIndex);
  target.traceCorrelations.push(...source.traceCorrelations);
  target.otelLogs.push(...source.otelLogs);
  target.auditLogEvents.push(...source.auditLogEvents);
}

/**
 * Inserts a batch into its tables, all at once, so that a batch is readable
 * after the slowest insert rather than after their sum. The inserts are not
 * atomic as a group: a failure leaves some tables written, and the caller
 * retries the whole batch. ReplacingMergeTree collapses the repeated span
 * rows, and repeated session_index rows change no aggregate the readers take.
 */
export async function insertSpanRows(client: ClickHouseClient, rows: SpanRows): Promise<void> {
  const tables: [string, readonly object[]][] = [
    ['otel_traces', rows.otelTraces],
    ['audit_events', rows.auditEvents],
    ['session_index', rows.sessionIndex],
    ['trace_correlations', rows.traceCorrelations],
    ['otel_logs', rows.otelLogs],
    ['audit_log_events', rows.auditLogEvents],
  ];
  // Every insert settles before a failure is reported, so that a retry of
  // the batch never runs beside an insert of the same rows still in flight.
  const outcomes = await Promise.allSettled(
    tables
      .filter(([, values]) => values.length > 0)
      // Over HTTP, a stream lets the client encode rows as it sends them. An
      // array would be encoded whole before sending, a copy of the batch per
      // table. The embedded engine's connection reads either into one string.
      .map(([table, values]) => client.insert({ table, values: Readable.from(values), format: 'JSONEachRow' })),
  );
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
