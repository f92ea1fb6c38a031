// SQL fragments the dashboards share. Variables use the ClickHouse plugin's
// $__conditionalAll, which drops the condition when "All" is selected.

/** The acting agent of a step: its agent name, else the service that emitted it. */
export const AGENT = "if(AgentName != '', AgentName, ServiceName)";

export const AGENT_FILTER = `$__conditionalAll(${AGENT} IN (\${agent:singlequote}), $agent)`;
export const ENVIRONMENT_FILTER = '$__conditionalAll(Environment IN (${environment:singlequote}), $environment)';

/**
 * Joins the session that a trace was filed under once one of its spans named
 * it. Spans that arrive before any span of their trace names the session are
 * stored under the trace id, and the timeline API moves them the same way.
 */
export const NAMED_SESSION_JOIN = `LEFT JOIN (
  SELECT TraceId, any(SessionId) AS NamedSession
  FROM session_index
  WHERE Explicit = 1 AND $__timeFilter(StartTime)
  GROUP BY TraceId
) AS named USING (TraceId)`;

/** The session of a row of a table joined with NAMED_SESSION_JOIN. */
export const SESSION = "if(NamedSession != '', NamedSession, SessionId)";

/** Audit events in the dashboard's time range, narrowed by the agent and environment variables. */
export const EVENT_FILTER = `$__timeFilter(StartTime) AND ${AGENT_FILTER} AND ${ENVIRONMENT_FILTER}`;

/** Classifications the findings treat as sensitive, as in schemas/audit-convention.ts. */
export const SENSITIVE = "('confidential', 'restricted', 'pii', 'secret')";

/** One row per approval decision stored on an audit event (the Approvals JSON array). */
export const APPROVAL_ROWS = `
  SELECT StartTime, ${SESSION} AS session, ToolName, ToolCallId, ${AGENT} AS agent,
    JSONExtractString(approval, 'decision') AS decision,
    JSONExtractString(approval, 'decidedBy') AS decided_by,
    JSONExtractString(approval, 'policyRule') AS policy_rule,
    JSONExtractString(approval, 'toolName') AS approved_tool,
    JSONExtractString(approval, 'toolCallId') AS approved_call_id,
    parseDateTime64BestEffortOrNull(JSONExtractString(approval, 'requestedAt'), 3) AS requested_at,
    parseDateTime64BestEffortOrNull(JSONExtractString(approval, 'decidedAt'), 3) AS decided_at
  FROM audit_events
  ARRAY JOIN JSONExtractArrayRaw(Approvals) AS approval
  ${NAMED_SESSION_JOIN}
  WHERE Approvals != '' AND ${EVENT_FILTER}`;

export const AGENT_VARIABLE = {
  name: 'agent',
  label: 'Agent',
  sql: `SELECT DISTINCT ${AGENT} FROM audit_events WHERE $__timeFilter(StartTime) AND ${AGENT} != '' ORDER BY 1`,
};

export const ENVIRONMENT_VARIABLE = {
  name: 'environment',
  label: 'Environment',
  sql: "SELECT DISTINCT Environment FROM audit_events WHERE $__timeFilter(StartTime) AND Environment != '' ORDER BY 1",
};

/** Base URL of the timeline API as the investigator's browser reaches it, for links to the session page. */
export const API_URL_VARIABLE = { name: 'api_url', label: 'Timeline API', constant: 'http://localhost:8080' };

export const SESSION_PAGE_LINK = { field: 'session', title: 'Open the session page', url: '${api_url}/ui/sessions/${__value.raw}' };
export const SESSION_DASHBOARD_LINK = {
  field: 'session',
  title: 'Open the session drill-down',
  url: '/d/agent-audit-session/agent-audit-session?var-session_id=${__value.raw}&${__url_time_range}',
};
