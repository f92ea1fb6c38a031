import type { DashboardSpec } from './grafana-model.ts';
import { API_URL_VARIABLE } from './filters.ts';

// One session in Grafana: its steps, the data it touched, and each of its
// traces in Grafana's trace view, read from the raw otel_traces table. The
// traces of a session come from session_index, because only some spans of
// a trace (often just the root) name the session.

const SESSION_TRACES = "SELECT TraceId FROM session_index WHERE SessionId = '${session_id}'";

export const session: DashboardSpec = {
  uid: 'agent-audit-session',
  title: 'Agent audit: session',
  description: 'One session: its steps with authority, data and approval facts, the data it touched, and its traces in the trace view.',
  tags: ['agent-audit'],
  timeFrom: 'now-7d',
  variables: [
    { name: 'session_id', label: 'Session id', defaultText: '' },
    {
      name: 'trace_id',
      label: 'Trace',
      multi: false,
      sql: `SELECT TraceId FROM session_index WHERE SessionId = '\${session_id}' GROUP BY TraceId ORDER BY min(StartTime)`,
    },
    API_URL_VARIABLE,
  ],
  panels: [
    {
      title: 'Steps',
      description: 'Every step of the session in start order, with authority, data and approval facts. The session page shows the same steps as a waterfall with findings.',
      type: 'table',
      width: 24,
      height: 10,
      core: true,
      links: [{ field: 'session', title: 'Open the session page', url: '${api_url}/ui/sessions/${__value.raw}' }],
      clickhouse: {
        sql: `
SELECT StartTime AS start, round(dateDiff('microsecond', StartTime, EndTime) / 1000, 1) AS duration_ms,
  Kind AS kind, Name AS name, Status AS status,
  if(AgentName != '', AgentName, ServiceName) AS agent, ToolName AS tool, ToolCallId AS call_id, Model AS model,
  PrincipalId AS principal, CredentialType AS credential, CredentialId AS credential_id,
  arrayStringConcat(DataResources, ', ') AS data, DataOperation AS operation, DataClassification AS classification,
  arrayStringConcat(ApprovalDecisions, ', ') AS approvals, SessionId AS session, TraceId AS trace, SpanId AS span
FROM audit_events FINAL
WHERE TraceId IN (${SESSION_TRACES})
ORDER BY StartTime`,
      },
    },
    {
      title: 'Trace',
      description: 'The trace chosen in the Trace variable, from the raw spans in otel_traces.',
      type: 'traces',
      width: 24,
      height: 14,
      core: true,
      clickhouse: {
        queryType: 'traces',
        sql: `
SELECT TraceId AS traceID, SpanId AS spanID, ParentSpanId AS parentSpanID,
  ServiceName AS serviceName, SpanName AS operationName,
  toUnixTimestamp64Nano(Timestamp) / 1000000 AS startTime, Duration / 1000000 AS duration,
  arrayMap(key -> map('key', key, 'value', SpanAttributes[key]), mapKeys(SpanAttributes)) AS tags,
  arrayMap(key -> map('key', key, 'value', ResourceAttributes[key]), mapKeys(ResourceAttributes)) AS serviceTags,
  multiIf(StatusCode = 'Error', 2, StatusCode = 'Ok', 1, 0) AS statusCode,
  SpanKind AS kind
FROM otel_traces FINAL
WHERE TraceId = '\${trace_id}'
ORDER BY startTime`,
      },
    },
    {
      title: 'Data touched',
      description: 'Resources the session read, wrote, deleted, listed or sent, from resource_access.',
      type: 'table',
      width: 12,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT StartTime AS time, Resource AS resource, Operation AS operation, Classification AS classification,
  DataCount AS count, Name AS step, CredentialType AS credential, Status AS status
FROM resource_access FINAL
WHERE SessionId = '\${session_id}' OR TraceId IN (${SESSION_TRACES})
ORDER BY time`,
      },
    },
    {
      title: 'Traces of the session',
      description: 'The traces filed under the session, with their first span and span count.',
      type: 'table',
      width: 12,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT TraceId AS trace, min(Timestamp) AS start, count() AS spans,
  argMin(SpanName, Timestamp) AS first_span, countIf(StatusCode = 'Error') AS errors
FROM otel_traces
WHERE TraceId IN (${SESSION_TRACES})
GROUP BY trace
ORDER BY start`,
      },
    },
  ],
};
