import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { formatUnixNano } from './time-format.ts';

// ClickHouse reads behind the inventory, resource history and evidence
// export, with bound parameters only. Rows leave as domain objects.

export interface AgentSummary {
  id: string;
  name: string | null;
  owner: string | null;
  environment: string | null;
  tools: string[];
  credentialTypes: string[];
  firstSeen: string;
  lastSeen: string;
  sessions: number;
}

interface AgentRow {
  id: string;
  name: string;
  owner: string;
  environment: string;
  tools: string[];
  credentialTypes: string[];
  firstSeenNano: string;
  lastSeenNano: string;
  sessions: string | number;
}

/**
 * Lists agents with what they did. An agent is known by the `agent` steps of
 * a trace (its id, or its name when it has no id). Its tools and credentials
 * are those of every step in the traces it ran in.
 */
export async function listAgents(client: ClickHouseClient, agentId?: string): Promise<AgentSummary[]> {
  // NOTE: a trace in which several agents ran (sub-agents, hand-offs) credits
  // each of them with every tool of the trace; the timeline, which walks the
  // span tree, attributes each call to its nearest agent exactly.
  const result = await client.query({
    query: `
      SELECT
        a.agent AS id,
        anyIf(a.name, a.name != '') AS name,
        anyIf(a.owner, a.owner != '') AS owner,
        anyIf(a.environment, a.environment != '') AS environment,
        arraySort(groupUniqArrayIf(e.ToolName, e.Kind = 'tool_call' AND e.ToolName != '')) AS tools,
        arraySort(groupUniqArrayIf(e.CredentialType, e.CredentialType != '')) AS credentialTypes,
        toString(toUnixTimestamp64Nano(min(e.StartTime))) AS firstSeenNano,
        toString(toUnixTimestamp64Nano(max(e.EndTime))) AS lastSeenNano,
        uniqExact(a.session) AS sessions
      FROM audit_events AS e
      INNER JOIN
      (
        SELECT
          TraceId,
          if(AgentId != '', AgentId, AgentName) AS agent,
          any(AgentName) AS name,
          any(AgentOwner) AS owner,
          any(Environment) AS environment,
          any(SessionId) AS session
        FROM audit_events
        WHERE Kind = 'agent' AND agent != ''
        GROUP BY TraceId, agent
      ) AS a ON a.TraceId = e.TraceId
      ${agentId === undefined ? '' : 'WHERE a.agent = {agentId:String}'}
      GROUP BY a.agent
      ORDER BY a.agent`,
    query_params: agentId === undefined ? {} : { agentId },
    format: 'JSONEachRow',
  });
  return (await result.json<AgentRow>()).map((row) => ({
    id: row.id,
    name: row.name || null,
    owner: row.owner || null,
    environment: row.environment || null,
    tools: row.tools,
    credentialTypes: row.credentialTypes,
    firstSeen: formatUnixNano(BigInt(row.firstSeenNano)),
    lastSeen: formatUnixNano(BigInt(row.lastSeenNano)),
    sessions: Number(row.sessions),
  }));
}

export interface ResourceAccess {
  resource: string;
  time: string;
  sessionId: string;
  traceId: string;
  spanId: string;
  kind: string;
  name: string;
  operation: string | null;
  classification: string | null;
  count: number | null;
  principal: string | null;
  agent: string | null;
  credentialType: string | null;
  status: string;
}

interface ResourceAccessRow {
  Resource: string;
  StartNano: string;
  SessionId: string;
  ExplicitSessionId: string;
  TraceId: string;
  SpanId: string;
  Kind: string;
  Name: string;
  Operation: string;
  Classification: string;
  DataCount: string | number | null;
  PrincipalId: string;
  AgentName: string;
  AgentId: string;
  CredentialType: string;
  Status: string;
}

/** Reads who touched a resource, newest first; `prefix` matches every resource under a URI prefix. */
export async function readResourceAccess(
  client: ClickHouseClient,
  resource: string,
  options: { prefix: boolean; limit: number },
): Promise<ResourceAccess[]> {
  const result = await client.query({
    query: `
      SELECT
        r.Resource AS Resource,
        toString(toUnixTimestamp64Nano(r.StartTime)) AS StartNano,
        r.SessionId AS SessionId,
        m.ExplicitSessionId AS ExplicitSessionId,
        r.TraceId AS TraceId, r.SpanId AS SpanId, r.Kind AS Kind, r.Name AS Name,
        r.Operation AS Operation, r.Classification AS Classification, r.DataCount AS DataCount,
        if(r.PrincipalId != '', r.PrincipalId, p.TracePrincipal) AS PrincipalId, r.AgentName AS AgentName, r.AgentId AS AgentId,
        r.CredentialType AS CredentialType, r.Status AS Status
      FROM
      (
        SELECT * FROM resource_access FINAL
        WHERE ${options.prefix ? 'startsWith(Resource, {resource:String})' : 'Resource = {resource:String}'}
        ORDER BY StartTime DESC
        LIMIT {limit:UInt32}
      ) AS r
      LEFT JOIN
      (
        SELECT TraceId, any(SessionId) AS ExplicitSessionId
        FROM session_index
        WHERE Explicit = 1
        GROUP BY TraceId
      ) AS m ON m.TraceId = r.TraceId
      LEFT JOIN
      (
        -- A step without its own principal acted for the trace's first named one.
        SELECT TraceId, argMinIf(PrincipalId, StartTime, PrincipalId != '') AS TracePrincipal
        FROM audit_events
        WHERE TraceId IN (
          SELECT TraceId FROM resource_access
          WHERE ${options.prefix ? 'startsWith(Resource, {resource:String})' : 'Resource = {resource:String}'}
        )
        GROUP BY TraceId
      ) AS p ON p.TraceId = r.TraceId
      ORDER BY r.StartTime DESC`,
    query_params: { resource, limit: options.limit },
    format: 'JSONEachRow',
  });
  return (await result.json<ResourceAccessRow>()).map((row) => ({
    resource: row.Resource,
    time: formatUnixNano(BigInt(row.StartNano)),
    // The session a later span of the trace named wins over the trace-id fallback.
    sessionId: row.ExplicitSessionId || row.SessionId,
    traceId: row.TraceId,
    spanId: row.SpanId,
    kind: row.Kind,
    name: row.Name,
    operation: row.Operation || null,
    classification: row.Classification || null,
    count: row.DataCount === null ? null : Number(row.DataCount),
    principal: row.PrincipalId || null,
    agent: row.AgentName || row.AgentId || null,
    credentialType: row.CredentialType || null,
    status: row.Status,
  }));
}

export interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: string;
  serviceName: string;
  start: string;
  durationNano: string;
  statusCode: string;
  statusMessage: string;
  scope: { name: string; version: string };
  resourceAttributes: Record<string, string>;
  attributes: Record<string, string>;
  events: { time: string; name: string; attributes: Record<string, string> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, string> }[];
}

interface RawSpanRow {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  StartNano: string;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  ScopeName: string;
  ScopeVersion: string;
  ResourceAttributes: Record<string, string>;
  SpanAttributes: Record<string, string>;
  EventTimes: string[];
  EventNames: string[];
  EventAttributes: Record<string, string>[];
  LinkTraceIds: string[];
  LinkSpanIds: string[];
  LinkAttributes: Record<string, string>[];
}

/** Reads the stored raw spans of the given traces, as the exporter sent them (after redaction). */
export async function readRawSpans(client: ClickHouseClient, traceIds: readonly string[]): Promise<RawSpan[]> {
  if (traceIds.length === 0) return [];
  const result = await client.query({
    query: `
      SELECT
        TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName,
        toString(toUnixTimestamp64Nano(Timestamp)) AS StartNano, toString(Duration) AS Duration,
        StatusCode, StatusMessage, ScopeName, ScopeVersion, ResourceAttributes, SpanAttributes,
        arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS EventTimes,
        Events.Name AS EventNames, Events.Attributes AS EventAttributes,
        Links.TraceId AS LinkTraceIds, Links.SpanId AS LinkSpanIds, Links.Attributes AS LinkAttributes
      FROM otel_traces FINAL
      WHERE TraceId IN {traceIds:Array(String)}
      ORDER BY Timestamp, SpanId`,
    query_params: { traceIds },
    format: 'JSONEachRow',
  });
  return (await result.json<RawSpanRow>()).map((row) => ({
    traceId: row.TraceId,
    spanId: row.SpanId,
    parentSpanId: row.ParentSpanId,
    name: row.SpanName,
    kind: row.SpanKind,
    serviceName: row.ServiceName,
    start: formatUnixNano(BigInt(row.StartNano)),
    durationNano: row.Duration,
    statusCode: row.StatusCode,
    statusMessage: row.StatusMessage,
    scope: { name: row.ScopeName, version: row.ScopeVersion },
    resourceAttributes: row.ResourceAttributes,
    attributes: row.SpanAttributes,
    events: row.EventNames.map((name, index) => ({
      time: formatUnixNano(BigInt(row.EventTimes[index] ?? '0')),
      name,
      attributes: row.EventAttributes[index] ?? {},
    })),
    links: row.LinkTraceIds.map((traceId, index) => ({
      traceId,
      spanId: row.LinkSpanIds[index] ?? '',
      attributes: row.LinkAttributes[index] ?? {},
    })),
  }));
}

/** Message attributes of the given spans, for the intent behind each step. */
export async function readMessageAttributes(
  client: ClickHouseClient,
  traceIds: readonly string[],
  spanIds: readonly string[],
): Promise<Map<string, Record<string, string>>> {
  if (spanIds.length === 0) return new Map();
  const result = await client.query({
    query: `
      SELECT SpanId,
        mapFilter((key, value) -> key IN {keys:Array(String)} OR startsWith(key, 'gen_ai.prompt.') OR startsWith(key, 'gen_ai.completion.')
          OR startsWith(key, 'llm.input_messages.') OR startsWith(key, 'llm.output_messages.'), SpanAttributes) AS Messages
      FROM otel_traces FINAL
      WHERE TraceId IN {traceIds:Array(String)} AND SpanId IN {spanIds:Array(String)}`,
    query_params: { traceIds, spanIds, keys: MESSAGE_KEYS },
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ SpanId: string; Messages: Record<string, string> }>();
  return new Map(rows.map((row) => [row.SpanId, row.Messages]));
}

/** Attributes that carry a model's input and output messages in the common conventions. */
export const MESSAGE_KEYS = [
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.system_instructions',
  'gen_ai.prompt',
  'gen_ai.completion',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.response.text',
  'ai.response.toolCalls',
  'input.value',
  'output.value',
  'traceloop.entity.input',
  'traceloop.entity.output',
  'langfuse.observation.input',
  'langfuse.observation.output',
] as const;
