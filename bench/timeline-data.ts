import type { ClickHouseClient } from '@clickhouse/client';

// Fills audit_events and session_index with a large table of spans inside
// ClickHouse (INSERT ... SELECT FROM numbers()), because sending 10 million
// spans through the pipeline would take hours on a 2-core machine. The rows
// carry the columns the timeline reads; the rest take their defaults.

const backgroundSpansPerTrace = 100;
const spanDurationNs = 40_000_000;
const backgroundTracesPerSession = 10;
/**
 * Start of the 7 days the spans spread over, in nanoseconds: 8 days ago, so
 * that every row is inside the default 30-day retention, which the tables'
 * TTL and the API's reads both apply.
 */
const baseUnixNano = BigInt(Date.now() - 8 * 86_400_000) * 1_000_000n;

export interface TimelineSession {
  sessionId: string;
  spans: number;
  spansPerTrace: number;
}

interface RowExpressions {
  traceId: string;
  sessionId: string;
  /** SpanId of row number `n`, written with the placeholder $N. */
  spanIdOf: string;
  start: string;
}

/** SQL that inserts one audit event per row of `source`, which has the columns n, position_in_trace and trace. */
function auditEventsSelect(source: string, expressions: RowExpressions): string {
  const spanId = expressions.spanIdOf.replaceAll('$N', 'n');
  // The root of each trace is its first span.
  const rootSpanId = expressions.spanIdOf.replaceAll('$N', '(n - position_in_trace)');
  return `
    INSERT INTO audit_events
      (Tenant, SessionId, SessionSource, TraceId, SpanId, ParentSpanId, Kind, Name, Operation,
       StartTime, EndTime, Status, ServiceName, AgentName, Model, ToolName, InputTokens, OutputTokens, Convention)
    SELECT
      {tenant:String} AS Tenant,
      ${expressions.sessionId} AS SessionId,
      'gen_ai.conversation.id' AS SessionSource,
      ${expressions.traceId} AS TraceId,
      ${spanId} AS SpanId,
      if(position_in_trace = 0, '', ${rootSpanId}) AS ParentSpanId,
      multiIf(position_in_trace = 0, 'agent', n % 2 = 1, 'model_request', 'tool_call') AS Kind,
      multiIf(position_in_trace = 0, 'invoke_agent support-agent', n % 2 = 1, 'chat gpt-4o-mini', 'execute_tool lookup_order') AS Name,
      multiIf(position_in_trace = 0, 'invoke_agent', n % 2 = 1, 'chat', 'execute_tool') AS Operation,
      fromUnixTimestamp64Nano(toInt64(${expressions.start})) AS StartTime,
      fromUnixTimestamp64Nano(toInt64(${expressions.start} + ${spanDurationNs})) AS EndTime,
      'ok' AS Status,
      'support-agent' AS ServiceName,
      'support-agent' AS AgentName,
      if(n % 2 = 1, 'gpt-4o-mini', '') AS Model,
      if(n % 2 = 0 AND position_in_trace != 0, 'lookup_order', '') AS ToolName,
      if(n % 2 = 1, 200 + n % 997, NULL) AS InputTokens,
      if(n % 2 = 1, 40 + n % 211, NULL) AS OutputTokens,
      'gen_ai' AS Convention
    FROM ${source}`;
}

/** Inserts `rows` background spans: traces of 100 spans, sessions of 10 traces, over 7 days. */
export async function insertBackgroundSpans(client: ClickHouseClient, tenant: string, rows: number): Promise<void> {
  const source = `(SELECT number AS n, n % ${backgroundSpansPerTrace} AS position_in_trace, intDiv(n, ${backgroundSpansPerTrace}) AS trace FROM numbers({rows:UInt64}))`;
  await client.command({
    query: auditEventsSelect(source, {
      traceId: "lower(hex(MD5(concat('bg-trace-', toString(trace)))))",
      sessionId: `concat('bg-session-', toString(intDiv(trace, ${backgroundTracesPerSession})))`,
      spanIdOf: "substring(lower(hex(MD5(concat('bg-span-', toString($N))))), 1, 16)",
      start: `${baseUnixNano} + trace * 6000000000 + position_in_trace * 50000000`,
    }),
    query_params: { tenant, rows },
  });
  const traces = Math.ceil(rows / backgroundSpansPerTrace);
  await client.command({
    query: `
      INSERT INTO session_index (Tenant, SessionId, TraceId, Explicit, SessionSource, StartTime, EndTime, Agents, Tools, Models)
      SELECT {tenant:String}, concat('bg-session-', toString(intDiv(number, ${backgroundTracesPerSession}))),
        lower(hex(MD5(concat('bg-trace-', toString(number))))), 1, 'gen_ai.conversation.id',
        fromUnixTimestamp64Nano(toInt64(${baseUnixNano} + number * 6000000000)),
        fromUnixTimestamp64Nano(toInt64(${baseUnixNano} + number * 6000000000 + 5000000000)),
        ['support-agent'], ['lookup_order'], ['gpt-4o-mini']
      FROM numbers({traces:UInt64})`,
    query_params: { tenant, traces },
  });
}

/** Start of the measured sessions: the fourth of the 7 days. */
const sessionStart = `${baseUnixNano} + 3 * 86400000000000`;
const spanSpacingNs = 20_000_000;

/**
 * Inserts one session of `spans` spans in traces of `spansPerTrace` spans,
 * with the session_index rows the writer would write for them: one per
 * trace, from its first span's start to its last span's end.
 */
export async function insertTimelineSession(client: ClickHouseClient, tenant: string, session: TimelineSession): Promise<void> {
  const source = `(SELECT number AS n, n % ${session.spansPerTrace} AS position_in_trace, intDiv(n, ${session.spansPerTrace}) AS trace FROM numbers({rows:UInt64}))`;
  await client.command({
    query: auditEventsSelect(source, {
      traceId: "lower(hex(MD5(concat({session:String}, '-trace-', toString(trace)))))",
      sessionId: '{session:String}',
      spanIdOf: "substring(lower(hex(MD5(concat({session:String}, '-span-', toString($N))))), 1, 16)",
      start: `${sessionStart} + n * ${spanSpacingNs}`,
    }),
    query_params: { tenant, rows: session.spans, session: session.sessionId },
  });
  await client.command({
    query: `
      INSERT INTO session_index (Tenant, SessionId, TraceId, Explicit, SessionSource, StartTime, EndTime, Agents, Tools, Models)
      SELECT {tenant:String}, {session:String}, lower(hex(MD5(concat({session:String}, '-trace-', toString(number))))), 1,
        'gen_ai.conversation.id',
        fromUnixTimestamp64Nano(toInt64(${sessionStart} + number * ${session.spansPerTrace} * ${spanSpacingNs})),
        fromUnixTimestamp64Nano(toInt64(${sessionStart} + ((number + 1) * ${session.spansPerTrace} - 1) * ${spanSpacingNs} + ${spanDurationNs})),
        ['support-agent'], ['lookup_order'], ['gpt-4o-mini']
      FROM numbers({traces:UInt64})`,
    query_params: { tenant, session: session.sessionId, traces: Math.ceil(session.spans / session.spansPerTrace) },
  });
}

/** Merges each table's parts, as ClickHouse does over time, so the figures do not depend on when merges ran. */
export async function mergeTimelineTables(client: ClickHouseClient): Promise<void> {
  for (const table of ['audit_events', 'session_index']) {
    await client.command({ query: `OPTIMIZE TABLE ${table} FINAL` });
  }
}
