import type { DashboardSpec } from './grafana-model.ts';
import {
  AGENT,
  AGENT_VARIABLE,
  API_URL_VARIABLE,
  APPROVAL_ROWS,
  ENVIRONMENT_VARIABLE,
  EVENT_FILTER,
  NAMED_SESSION_JOIN,
  SENSITIVE,
  SESSION,
  SESSION_PAGE_LINK,
} from './filters.ts';

export const toolsApprovalsData: DashboardSpec = {
  uid: 'agent-audit-tools-approvals-data',
  title: 'Agent audit: tools, approvals and data',
  description: 'Tool calls by tool and status, approval decisions and latency, and the resources agents touched by classification.',
  tags: ['agent-audit'],
  timeFrom: 'now-24h',
  variables: [AGENT_VARIABLE, ENVIRONMENT_VARIABLE, API_URL_VARIABLE],
  panels: [
    {
      title: 'Tool calls by tool and status',
      description: 'Calls, failures and duration per tool.',
      type: 'table',
      width: 12,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT ToolName AS tool, count() AS calls, countIf(Status = 'error') AS errors,
  round(countIf(Status = 'error') / count(), 3) AS error_ratio,
  round(quantile(0.95)(dateDiff('microsecond', StartTime, EndTime)) / 1000, 1) AS p95_ms
FROM audit_events
WHERE Kind = 'tool_call' AND ${EVENT_FILTER}
GROUP BY tool
ORDER BY calls DESC`,
      },
    },
    {
      title: 'Tool calls over time',
      description: 'Tool calls per interval and status.',
      type: 'timeseries',
      width: 12,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(StartTime) AS time, concat(ToolName, ' ', Status) AS tool_status, count() AS calls
FROM audit_events
WHERE Kind = 'tool_call' AND ${EVENT_FILTER}
GROUP BY time, tool_status
ORDER BY time`,
      },
    },
    {
      title: 'Approval decisions',
      description: 'Decisions by outcome.',
      type: 'piechart',
      width: 6,
      height: 8,
      core: true,
      clickhouse: {
        sql: `SELECT decision, count() AS decisions FROM (${APPROVAL_ROWS}\n) GROUP BY decision ORDER BY decisions DESC`,
      },
    },
    {
      title: 'Approval latency',
      description: 'Time from the approval request to the decision, per policy rule and tool. Decisions without a request time are left out.',
      type: 'table',
      width: 9,
      height: 8,
      core: true,
      unit: 's',
      clickhouse: {
        sql: `
SELECT policy_rule, if(approved_tool != '', approved_tool, ToolName) AS tool, count() AS decisions,
  round(avg(dateDiff('millisecond', requested_at, decided_at)) / 1000, 3) AS avg_latency_s,
  round(max(dateDiff('millisecond', requested_at, decided_at)) / 1000, 3) AS max_latency_s
FROM (${APPROVAL_ROWS}
)
WHERE requested_at IS NOT NULL AND decided_at IS NOT NULL
GROUP BY policy_rule, tool
ORDER BY decisions DESC`,
      },
    },
    {
      title: 'Approvers',
      description: 'Decisions per approver and outcome.',
      type: 'barchart',
      width: 9,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT concat(decided_by, ' ', decision) AS approver_decision, count() AS decisions
FROM (${APPROVAL_ROWS}
)
WHERE decided_by != ''
GROUP BY approver_decision
ORDER BY decisions DESC`,
      },
    },
    {
      title: 'Recent approval decisions',
      description: 'The latest decisions with the call they cover and the session they belong to.',
      type: 'table',
      width: 24,
      height: 8,
      core: true,
      links: [SESSION_PAGE_LINK],
      clickhouse: {
        sql: `
SELECT StartTime AS time, agent, if(approved_tool != '', approved_tool, ToolName) AS tool,
  if(approved_call_id != '', approved_call_id, ToolCallId) AS call_id,
  decision, decided_by, policy_rule, session
FROM (${APPROVAL_ROWS}
)
ORDER BY time DESC
LIMIT 100`,
      },
    },
    {
      title: 'Resources touched by classification',
      description: 'Steps that touched data, per classification and operation.',
      type: 'barchart',
      width: 12,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT concat(if(DataClassification = '', 'unclassified', DataClassification), ' ', if(DataOperation = '', 'unknown', DataOperation)) AS classification_operation,
  count() AS accesses
FROM audit_events
ARRAY JOIN DataResources AS resource
WHERE ${EVENT_FILTER}
GROUP BY classification_operation
ORDER BY accesses DESC`,
      },
    },
    {
      title: 'Sensitive resources',
      description: 'Resources classified confidential, restricted, pii or secret, with who touched them and how often.',
      type: 'table',
      width: 12,
      height: 8,
      core: true,
      links: [SESSION_PAGE_LINK],
      clickhouse: {
        sql: `
SELECT Resource AS resource, Classification AS classification, Operation AS operation,
  count() AS accesses, uniqExact(${SESSION}) AS sessions,
  arrayStringConcat(groupUniqArrayIf(PrincipalId, PrincipalId != ''), ', ') AS principals,
  argMax(${SESSION}, StartTime) AS session, max(StartTime) AS last_access
FROM resource_access
${NAMED_SESSION_JOIN}
WHERE Classification IN ${SENSITIVE} AND $__timeFilter(StartTime)
GROUP BY resource, classification, operation
ORDER BY last_access DESC`,
      },
    },
    {
      title: 'Data access by agent',
      description: 'Data-touching steps per agent and operation.',
      type: 'barchart',
      width: 24,
      height: 7,
      core: true,
      clickhouse: {
        sql: `
SELECT concat(${AGENT}, ' ', if(DataOperation = '', 'unknown', DataOperation)) AS agent_operation, count() AS steps
FROM audit_events
WHERE notEmpty(DataResources) AND ${EVENT_FILTER}
GROUP BY agent_operation
ORDER BY steps DESC`,
      },
    },
  ],
};
