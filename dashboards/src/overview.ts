import type { DashboardSpec } from './grafana-model.ts';
import {
  AGENT,
  AGENT_VARIABLE,
  API_URL_VARIABLE,
  ENVIRONMENT_VARIABLE,
  EVENT_FILTER,
  NAMED_SESSION_JOIN,
  SENSITIVE,
  SESSION,
  SESSION_DASHBOARD_LINK,
  SESSION_PAGE_LINK,
} from './filters.ts';

export const overview: DashboardSpec = {
  uid: 'agent-audit-overview',
  title: 'Agent audit: overview',
  description: 'Sessions, model requests, tool calls, approvals and finding signals over time, by agent and environment.',
  tags: ['agent-audit'],
  timeFrom: 'now-24h',
  variables: [AGENT_VARIABLE, ENVIRONMENT_VARIABLE, API_URL_VARIABLE],
  panels: [
    {
      title: 'Sessions',
      description: 'Distinct sessions with at least one step in the time range.',
      type: 'stat',
      width: 4,
      height: 4,
      core: true,
      clickhouse: { sql: `SELECT uniqExact(${SESSION}) AS sessions FROM audit_events ${NAMED_SESSION_JOIN} WHERE ${EVENT_FILTER}` },
    },
    {
      title: 'Model requests',
      description: 'Steps of kind model_request.',
      type: 'stat',
      width: 4,
      height: 4,
      core: true,
      clickhouse: { sql: `SELECT count() AS model_requests FROM audit_events WHERE Kind = 'model_request' AND ${EVENT_FILTER}` },
    },
    {
      title: 'Tool calls',
      description: 'Steps of kind tool_call.',
      type: 'stat',
      width: 4,
      height: 4,
      core: true,
      clickhouse: { sql: `SELECT count() AS tool_calls FROM audit_events WHERE Kind = 'tool_call' AND ${EVENT_FILTER}` },
    },
    {
      title: 'Approval decisions',
      description: 'Approval decisions recorded on steps, whatever their outcome.',
      type: 'stat',
      width: 4,
      height: 4,
      core: true,
      clickhouse: {
        sql: `SELECT sum(length(JSONExtractArrayRaw(Approvals))) AS approvals FROM audit_events WHERE Approvals != '' AND ${EVENT_FILTER}`,
      },
    },
    {
      title: 'Long-lived credential uses',
      description:
        'Steps that authenticated with a static key or a long-lived credential: the rule of the long_lived_credential finding.',
      type: 'stat',
      width: 4,
      height: 4,
      core: true,
      clickhouse: {
        sql: `SELECT count() AS uses FROM audit_events WHERE (CredentialType = 'static_key' OR CredentialLifetime = 'long_lived') AND ${EVENT_FILTER}`,
      },
    },
    {
      title: 'Sensitive data reads',
      description: 'Steps that read data classified confidential, restricted, pii or secret.',
      type: 'stat',
      width: 4,
      height: 4,
      core: true,
      clickhouse: {
        sql: `SELECT count() AS reads FROM audit_events WHERE DataClassification IN ${SENSITIVE} AND DataOperation IN ('read', 'list') AND ${EVENT_FILTER}`,
      },
    },
    {
      title: 'Sessions over time by agent',
      description: 'Sessions that started in each interval, per agent.',
      type: 'timeseries',
      width: 12,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(started) AS time, agent, count() AS sessions
FROM (
  SELECT ${SESSION} AS session, ${AGENT} AS agent, min(StartTime) AS started
  FROM audit_events
  ${NAMED_SESSION_JOIN}
  WHERE ${EVENT_FILTER}
  GROUP BY session, agent
)
GROUP BY time, agent
ORDER BY time`,
      },
    },
    {
      title: 'Model requests and tool calls',
      description: 'Model requests, tool calls, data access and approval steps per interval.',
      type: 'timeseries',
      width: 12,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(StartTime) AS time, Kind AS kind, count() AS steps
FROM audit_events
WHERE Kind IN ('model_request', 'tool_call', 'data_access', 'approval') AND ${EVENT_FILTER}
GROUP BY time, kind
ORDER BY time`,
      },
    },
    {
      title: 'Approvals by decision',
      description: 'Approval decisions per interval: granted, denied, expired or pending.',
      type: 'timeseries',
      width: 8,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(StartTime) AS time, decision, count() AS decisions
FROM audit_events
ARRAY JOIN ApprovalDecisions AS decision
WHERE ${EVENT_FILTER}
GROUP BY time, decision
ORDER BY time`,
      },
    },
    {
      title: 'Finding signals',
      description:
        'Step-level rules of the findings that SQL can check alone: long-lived credentials, denied approvals and sensitive reads. ' +
        'Findings that compare steps (action after denial, read then egress, principal mismatch) are computed by the timeline API.',
      type: 'timeseries',
      width: 8,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(StartTime) AS time, signal, count() AS steps
FROM (
  SELECT StartTime, multiIf(
      CredentialType = 'static_key' OR CredentialLifetime = 'long_lived', 'long_lived_credential',
      has(ApprovalDecisions, 'denied'), 'approval_denied',
      DataClassification IN ${SENSITIVE}, 'sensitive_data',
      '') AS signal
  FROM audit_events
  WHERE ${EVENT_FILTER}
)
WHERE signal != ''
GROUP BY time, signal
ORDER BY time`,
      },
    },
    {
      title: 'Steps by environment',
      description: 'Steps per deployment environment (deployment.environment.name of the agent).',
      type: 'piechart',
      width: 8,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT if(Environment = '', '(not set)', Environment) AS environment, count() AS steps
FROM audit_events
WHERE ${EVENT_FILTER}
GROUP BY environment
ORDER BY steps DESC`,
      },
    },
    {
      title: 'Recent sessions',
      description: 'The latest sessions, with links to the session page and the session drill-down.',
      type: 'table',
      width: 24,
      height: 9,
      core: true,
      links: [SESSION_PAGE_LINK, SESSION_DASHBOARD_LINK],
      clickhouse: {
        sql: `
SELECT ${SESSION} AS session, min(StartTime) AS started, max(EndTime) AS ended,
  arrayStringConcat(groupUniqArrayIf(${AGENT}, ${AGENT} != ''), ', ') AS agents,
  arrayStringConcat(groupUniqArrayIf(PrincipalId, PrincipalId != ''), ', ') AS principals,
  countIf(Kind = 'model_request') AS model_requests,
  countIf(Kind = 'tool_call') AS tool_calls,
  countIf(Status = 'error') AS errors,
  arrayStringConcat(groupUniqArrayArray(ApprovalDecisions), ', ') AS approvals
FROM audit_events
${NAMED_SESSION_JOIN}
WHERE ${EVENT_FILTER}
GROUP BY session
ORDER BY started DESC
LIMIT 100`,
      },
    },
  ],
};
