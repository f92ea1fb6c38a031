import type { AuditEvent, StepKind, StepStatus, Convention } from '../../schemas/audit-event.ts';
import type { SessionListQuery, SessionSummary } from '../../schemas/api.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { formatUnixNano } from './time-format.ts';

// Every ClickHouse read of the API is here, with bound parameters only. Rows
// leave this file as domain objects, never as column-named records.

export interface SessionCursor {
  startUnixNano: bigint;
  sessionId: string;
}

export interface SessionListFilter extends Omit<SessionListQuery, 'from' | 'to' | 'cursor'> {
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
      traceCount: Number(row.traceCount),
    })),
    next:
      rows.length > filter.limit && last !== undefined
        ? { startUnixNano: BigInt(last.startNano), sessionId: last.sessionId }
        : null,
  };
}

interface AuditEventRow {
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
  };
}

/**
 * Reads the audit events of every trace filed under the session. Both reads
 * are primary-key ranges: session_index by SessionId, audit_events by
 * TraceId. FINAL collapses spans that a redelivery inserted twice.
 */
export async function readSessionEvents(client: ClickHouseClient, sessionId: string): Promise<AuditEvent[]> {
  const result = await client.query({
    query: `
      SELECT
        SessionId, SessionSource, TraceId, SpanId, ParentSpanId, Kind, Name, Operation,
        toString(toUnixTimestamp64Nano(StartTime)) AS StartNano,
        toString(toUnixTimestamp64Nano(EndTime)) AS EndNano,
        Status, StatusMessage, ServiceName, ScopeName, AgentId, AgentName, PrincipalId,
        Model, Provider, ToolName, ToolCallId, McpMethod, McpSessionId, ResourceUri,
        InputTokens, OutputTokens, Convention
      FROM audit_events FINAL
      WHERE TraceId IN (SELECT TraceId FROM session_index WHERE SessionId = {sessionId:String})
      ORDER BY StartTime, SpanId`,
    query_params: { sessionId },
    format: 'JSONEachRow',
  });
  return (await result.json<AuditEventRow>()).map(toAuditEvent);
}
