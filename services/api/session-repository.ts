import type { AuditEvent, StepKind, StepStatus, Convention } from '../../schemas/audit-event.ts';
import type { SessionListQuery, SessionSummary } from '../../schemas/api.ts';
import { AUDIT_FACT_COLUMNS, fromAuditFactColumns, type AuditFactColumns } from '../shared/storage/audit-facts-columns.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import type { AuditLogEvent, LogEventKind } from '../shared/normalize/logs.ts';
import { correlationKeysOf, traceCorrelationKey } from '../shared/storage/trace-correlations.ts';
import { formatUnixNano } from './time-format.ts';

// Every ClickHouse read of the API is here, with bound parameters only. Rows
// leave this file as domain objects, never as column-named records.

export interface SessionCursor {
  startUnixNano: bigint;
  sessionId: string;
}

export interface SessionListFilter extends Omit<SessionListQuery, 'from' | 'to' | 'cursor' | 'finding'> {
  fromUnixNano?: bigint | undefined;
  toUnixNano?: bigint | undefined;
  cursor?: SessionCursor | undefined;
}

interface SessionRow {
  sessionId: string;
  startNano: string;
  endNano: string;
  agents: string[];
  principals: string[];
  tools: string[];
  models: string[];
  resources: string[];
  approvalDecisions: string[];
  traceCount: string | number;
}

/**
 * The session a session_index row counts toward: its own when a span named
 * it, otherwise the session that another row of the same trace names, and
 * only failing both the trace id it was filed under.
 */
const resolvedSessionSql = `if(s.Explicit = 1 OR m.ExplicitSessionId = '', s.SessionId, m.ExplicitSessionId)`;

export async function listSessions(
  client: ClickHouseClient,
  filter: SessionListFilter,
): Promise<{ sessions: SessionSummary[]; next: SessionCursor | null }> {
  const conditions: string[] = [];
  const params: Record<string, unknown> = { limit: filter.limit + 1 };
  if (filter.fromUnixNano !== undefined) {
    conditions.push('max(s.EndTime) >= fromUnixTimestamp64Nano({from:Int64})');
    params['from'] = filter.fromUnixNano.toString();
  }
  if (filter.toUnixNano !== undefined) {
    conditions.push('min(s.StartTime) < fromUnixTimestamp64Nano({to:Int64})');
    params['to'] = filter.toUnixNano.toString();
  }
  if (filter.agent !== undefined) {
    conditions.push('has(agents, {agent:String})');
    params['agent'] = filter.agent;
  }
  if (filter.principal !== undefined) {
    conditions.push('has(principals, {principal:String})');
    params['principal'] = filter.principal;
  }
  if (filter.tool !== undefined) {
    conditions.push('has(tools, {tool:String})');
    params['tool'] = filter.tool;
  }
  if (filter.resource !== undefined) {
    conditions.push('has(resources, {resource:String})');
    params['resource'] = filter.resource;
  }
  if (filter.approval !== undefined) {
    conditions.push('has(approvalDecisions, {approval:String})');
    params['approval'] = filter.approval;
  }
  if (filter.cursor !== undefined) {
    conditions.push(`(min(s.StartTime) < fromUnixTimestamp64Nano({cursorStart:Int64})
      OR (min(s.StartTime) = fromUnixTimestamp64Nano({cursorStart:Int64}) AND session_id < {cursorSession:String}))`);
    params['cursorStart'] = filter.cursor.startUnixNano.toString();
    params['cursorSession'] = filter.cursor.sessionId;
  }

  // NOTE: the list aggregates all of session_index (one row per session,
  // trace and writer batch), which grows far slower than the span tables but
  // is still a full read; a time filter does not prune it yet.
  const result = await client.query({
    query: `
      SELECT
        ${resolvedSessionSql} AS session_id,
        session_id AS sessionId,
        toString(toUnixTimestamp64Nano(min(s.StartTime))) AS startNano,
        toString(toUnixTimestamp64Nano(max(s.EndTime))) AS endNano,
        arraySort(groupUniqArrayArray(s.Agents)) AS agents,
        arraySort(groupUniqArrayArray(s.Principals)) AS principals,
        arraySort(groupUniqArrayArray(s.Tools)) AS tools,
        arraySort(groupUniqArrayArray(s.Models)) AS models,
        arraySort(groupUniqArrayArray(s.Resources)) AS resources,
        arraySort(groupUniqArrayArray(s.ApprovalDecisions)) AS approvalDecisions,
        uniqExact(s.TraceId) AS traceCount
      FROM session_index AS s
      LEFT JOIN
      (
        SELECT TraceId, any(SessionId) AS ExplicitSessionId
        FROM session_index
        WHERE Explicit = 1
        GROUP BY TraceId
      ) AS m ON m.TraceId = s.TraceId
      GROUP BY session_id
      ${conditions.length > 0 ? `HAVING ${conditions.join(' AND ')}` : ''}
      ORDER BY min(s.StartTime) DESC, session_id DESC
      LIMIT {limit:UInt32}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const rows = await result.json<SessionRow>();
  const page = rows.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    sessions: page.map((row) => ({
      sessionId: row.sessionId,
      start: formatUnixNano(BigInt(row.startNano)),
      end: formatUnixNano(BigInt(row.endNano)),
      agents: row.agents,
      principals: row.principals,
      tools: row.tools,
      models: row.models,
      resources: row.resources,
      approvalDecisions: row.approvalDecisions,
      traceCount: Number(row.traceCount),
    })),
    next:
      rows.length > filter.limit && last !== undefined
        ? { startUnixNano: BigInt(last.startNano), sessionId: last.sessionId }
        : null,
  };
}

interface AuditEventRow extends AuditFactColumns {
  IngestPrincipal?: string;
  IngestAgent?: string;
  SessionId: string;
  SessionSource: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  Kind: string;
  Name: string;
  Operation: string;
  StartNano: string;
  EndNano: string;
  Status: string;
  StatusMessage: string;
  ServiceName: string;
  ScopeName: string;
  AgentId: string;
  AgentName: string;
  PrincipalId: string;
  Model: string;
  Provider: string;
  ToolName: string;
  ToolCallId: string;
  McpMethod: string;
  McpSessionId: string;
  ResourceUri: string;
  InputTokens: string | number | null;
  OutputTokens: string | number | null;
  Convention: string;
  Conventions: string[];
  SpanKind: string;
  RequestedToolCallIds: string[];
  RequestedToolNames: string[];
  RpcRequestId: string;
  LinkTraceIds: string[];
  LinkSpanIds: string[];
  TruncatedAttributes: string[];
}

function toAuditEvent(row: AuditEventRow): AuditEvent {
  return {
    sessionId: row.SessionId,
    sessionSource: row.SessionSource,
    traceId: row.TraceId,
    spanId: row.SpanId,
    parentSpanId: row.ParentSpanId,
    kind: row.Kind as StepKind,
    name: row.Name,
    operation: row.Operation,
    startTimeUnixNano: BigInt(row.StartNano),
    endTimeUnixNano: BigInt(row.EndNano),
    status: row.Status as StepStatus,
    statusMessage: row.StatusMessage,
    serviceName: row.ServiceName,
    scopeName: row.ScopeName,
    agentId: row.AgentId,
    agentName: row.AgentName,
    principalId: row.PrincipalId,
    model: row.Model,
    provider: row.Provider,
    toolName: row.ToolName,
    toolCallId: row.ToolCallId,
    mcpMethod: row.McpMethod,
    mcpSessionId: row.McpSessionId,
    resourceUri: row.ResourceUri,
    inputTokens: row.InputTokens === null ? null : Number(row.InputTokens),
    outputTokens: row.OutputTokens === null ? null : Number(row.OutputTokens),
    convention: row.Convention as Convention,
    conventions: row.Conventions as Convention[],
    spanKind: row.SpanKind,
    requestedToolCalls: row.RequestedToolCallIds.map((id, index) => ({ id, name: row.RequestedToolNames[index] ?? '' })),
    rpcRequestId: row.RpcRequestId,
    links: row.LinkTraceIds.map((traceId, index) => ({ traceId, spanId: row.LinkSpanIds[index] ?? '' })),
    truncatedAttributes: row.TruncatedAttributes,
    facts: fromAuditFactColumns(row, row.PrincipalId, row.AgentId),
    ingestPrincipal: row.IngestPrincipal ?? '',
    ingestAgent: row.IngestAgent ?? '',
  };
}

const eventColumns = `
  SessionId, SessionSource, TraceId, SpanId, ParentSpanId, Kind, Name, Operation,
  toString(toUnixTimestamp64Nano(StartTime)) AS StartNano,
  toString(toUnixTimestamp64Nano(EndTime)) AS EndNano,
  Status, StatusMessage, ServiceName, ScopeName, AgentId, AgentName, PrincipalId,
  Model, Provider, ToolName, ToolCallId, McpMethod, McpSessionId, ResourceUri,
  InputTokens, OutputTokens, Convention, Conventions, SpanKind, RequestedToolCallIds,
  RequestedToolNames, RpcRequestId, LinkTraceIds, LinkSpanIds, TruncatedAttributes,
  ${AUDIT_FACT_COLUMNS.join(', ')}, IngestPrincipal, IngestAgent`;

/**
 * Reads the spans of the traces that `traceFilter` selects. audit_events is
 * sorted by trace but partitioned by day, so a read by trace id alone reads
 * a granule in every daily partition. The times in all session_index rows
 * of those traces, whichever session a batch filed them under, name the days
 * their spans start on, and the read skips the other partitions.
 * ClickHouse skips partitions under FINAL only when FINAL merges within each
 * partition. The filter is on the partition key alone, so FINAL still shows
 * the newest row of a span within a day. A span sent again with a start on
 * another day is a row in another partition, and both rows are shown.
 */
async function readEvents(client: ClickHouseClient, traceFilter: string, params: Record<string, unknown>): Promise<AuditEvent[]> {
  const result = await client.query({
    query: `
      WITH (SELECT (min(StartTime), max(EndTime)) FROM session_index WHERE TraceId IN (${traceFilter})) AS bounds
      SELECT ${eventColumns} FROM audit_events FINAL
      WHERE TraceId IN (${traceFilter}) AND toDate(StartTime) BETWEEN toDate(bounds.1) AND toDate(bounds.2)
      ORDER BY StartTime, SpanId
      SETTINGS do_not_merge_across_partitions_select_final = 1`,
    query_params: params,
    format: 'JSONEachRow',
  });
  return (await result.json<AuditEventRow>()).map(toAuditEvent);
}

// A correlated trace must start within this window around the session, so a
// reused tool call id (many SDKs number calls call_0, call_1, ...) cannot
// pull in work from another day.
const correlationWindowNs = 3_600_000_000_000n;
const maxCorrelationKeys = 2_000;
const maxCorrelatedTraces = 200;

/**
 * Finds traces of other services that belong to the session without naming
 * it: an MCP server's trace that shares an MCP request or a tool call id with
 * the session, or a trace tied to it by a span link. Traces that another
 * session names explicitly stay in that session.
 */
async function findCorrelatedTraces(client: ClickHouseClient, sessionId: string, events: readonly AuditEvent[]): Promise<string[]> {
  const ownTraces = [...new Set(events.map((event) => event.traceId))];
  const keys = new Set(ownTraces.map(traceCorrelationKey));
  for (const event of events) for (const key of correlationKeysOf(event)) keys.add(key);
  let start = events[0]!.startTimeUnixNano;
  let end = events[0]!.endTimeUnixNano;
  for (const event of events) {
    if (event.startTimeUnixNano < start) start = event.startTimeUnixNano;
    if (event.endTimeUnixNano > end) end = event.endTimeUnixNano;
  }
  // NOTE: a session with more keys than the cap is searched by the first
  // ones only, so a very long session may miss a correlated trace.
  const result = await client.query({
    query: `
      WITH candidates AS
      (
        SELECT DISTINCT TraceId FROM trace_correlations
        WHERE CorrelationKey IN (SELECT arrayJoin({keys:Array(String)}))
          AND TraceId NOT IN (SELECT arrayJoin({own:Array(String)}))
          AND StartTime BETWEEN fromUnixTimestamp64Nano({from:Int64}) AND fromUnixTimestamp64Nano({to:Int64})
      )
      SELECT TraceId FROM candidates
      WHERE TraceId NOT IN
      (
        SELECT TraceId FROM session_index
        WHERE TraceId IN candidates AND Explicit = 1 AND SessionId != {sessionId:String}
      )
      ORDER BY TraceId
      LIMIT {limit:UInt32}`,
    query_params: {
      keys: [...keys].slice(0, maxCorrelationKeys),
      own: ownTraces,
      from: (start - correlationWindowNs).toString(),
      to: (end + correlationWindowNs).toString(),
      sessionId,
      limit: maxCorrelatedTraces,
    },
    format: 'JSONEachRow',
  });
  return (await result.json<{ TraceId: string }>()).map((row) => row.TraceId);
}

/**
 * Reads the audit events of every trace filed under the session, then of
 * the traces correlated with them. Every read is a primary-key range:
 * session_index by SessionId, trace_correlations by CorrelationKey,
 * audit_events by TraceId. FINAL collapses spans that a redelivery inserted
 * twice.
 */
export async function readSessionEvents(client: ClickHouseClient, sessionId: string): Promise<AuditEvent[]> {
  const own = await readEvents(client, 'SELECT TraceId FROM session_index WHERE SessionId = {sessionId:String}', { sessionId });
  if (own.length === 0) return own;
  const correlated = await findCorrelatedTraces(client, sessionId, own);
  if (correlated.length === 0) return own;
  return [...own, ...(await readEvents(client, 'SELECT arrayJoin({traceIds:Array(String)})', { traceIds: correlated }))];
}

interface AuditLogEventRow {
  SessionId: string;
  SessionSource: string;
  RecordId: string;
  TraceId: string;
  SpanId: string;
  TimeNano: string;
  EventName: string;
  Kind: string;
  ServiceName: string;
  PrincipalId: string;
  RequestedToolCallIds: string[];
  RequestedToolNames: string[];
  ToolName: string;
  ToolCallId: string;
  Decision: string;
  DecisionSource: string;
}

/**
 * Reads the log events of a session: those filed under its id, and those
 * filed under one of its traces because they named no session.
 */
export async function readSessionLogEvents(
  client: ClickHouseClient,
  sessionId: string,
  traceIds: readonly string[],
): Promise<AuditLogEvent[]> {
  // NOTE: log events carry no tenant column yet, so this read is not scoped
  // by tenant the way the span reads are.
  const result = await client.query({
    query: `
      SELECT SessionId, SessionSource, RecordId, TraceId, SpanId,
        toString(toUnixTimestamp64Nano(Timestamp)) AS TimeNano,
        EventName, Kind, ServiceName, PrincipalId, RequestedToolCallIds, RequestedToolNames,
        ToolName, ToolCallId, Decision, DecisionSource
      FROM audit_log_events FINAL
      WHERE SessionId = {sessionId:String} OR TraceId IN (SELECT arrayJoin({traceIds:Array(String)}))
      ORDER BY Timestamp, RecordId`,
    query_params: { sessionId, traceIds },
    format: 'JSONEachRow',
  });
  return (await result.json<AuditLogEventRow>()).map((row) => ({
    sessionId: row.SessionId,
    sessionSource: row.SessionSource,
    recordId: row.RecordId,
    traceId: row.TraceId,
    spanId: row.SpanId,
    timeUnixNano: BigInt(row.TimeNano),
    eventName: row.EventName,
    kind: row.Kind as LogEventKind,
    serviceName: row.ServiceName,
    principalId: row.PrincipalId,
    requestedToolCalls: row.RequestedToolCallIds.map((id, index) => ({ id, name: row.RequestedToolNames[index] ?? '' })),
    toolName: row.ToolName,
    toolCallId: row.ToolCallId,
    decision: row.Decision,
    decisionSource: row.DecisionSource,
  }));
}
