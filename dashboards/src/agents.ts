import type { DashboardSpec } from './grafana-model.ts';
import {
  AGENT,
  AGENT_VARIABLE,
  API_URL_VARIABLE,
  ENVIRONMENT_VARIABLE,
  EVENT_FILTER,
  NAMED_SESSION_JOIN,
  SESSION,
  SESSION_PAGE_LINK,
} from './filters.ts';

export const agents: DashboardSpec = {
  uid: 'agent-audit-agents',
  title: 'Agent audit: agents',
  description: 'The agent inventory: owners, environments, tools per agent, credentials seen and last activity.',
  tags: ['agent-audit'],
  timeFrom: 'now-7d',
  variables: [AGENT_VARIABLE, ENVIRONMENT_VARIABLE, API_URL_VARIABLE],
  panels: [
    {
      title: 'Agent inventory',
      description: 'Every agent with steps in the time range: its ids, owner, environments, sessions, and first and last activity.',
      type: 'table',
      width: 24,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT ${AGENT} AS agent,
  arrayStringConcat(groupUniqArrayIf(AgentId, AgentId != ''), ', ') AS agent_ids,
  arrayStringConcat(groupUniqArrayIf(AgentOwner, AgentOwner != ''), ', ') AS owners,
  arrayStringConcat(groupUniqArrayIf(Environment, Environment != ''), ', ') AS environments,
  uniqExact(${SESSION}) AS sessions,
  countIf(Kind = 'tool_call') AS tool_calls,
  min(StartTime) AS first_seen,
  max(StartTime) AS last_seen
FROM audit_events
${NAMED_SESSION_JOIN}
WHERE ${EVENT_FILTER}
GROUP BY agent
ORDER BY last_seen DESC`,
      },
    },
    {
      title: 'Tools per agent',
      description: 'Tool calls per agent and tool.',
      type: 'barchart',
      width: 12,
      height: 9,
      core: true,
      clickhouse: {
        sql: `
SELECT concat(${AGENT}, ' / ', ToolName) AS agent_tool, count() AS calls
FROM audit_events
WHERE Kind = 'tool_call' AND ToolName != '' AND ${EVENT_FILTER}
GROUP BY agent_tool
ORDER BY calls DESC
LIMIT 50`,
      },
    },
    {
      title: 'Credentials seen',
      description: 'Credentials agents authenticated with, by id (never the secret), with their lifetime and scopes.',
      type: 'table',
      width: 12,
      height: 9,
      core: true,
      clickhouse: {
        sql: `
SELECT ${AGENT} AS agent, CredentialType AS credential_type, CredentialId AS credential_id,
  any(CredentialLifetime) AS lifetime,
  arrayStringConcat(groupUniqArrayArray(CredentialScopes), ' ') AS scopes,
  count() AS uses,
  max(StartTime) AS last_used
FROM audit_events
WHERE CredentialType != '' AND ${EVENT_FILTER}
GROUP BY agent, credential_type, credential_id
ORDER BY last_used DESC`,
      },
    },
    {
      title: 'Steps per agent',
      description: 'Steps per interval and agent.',
      type: 'timeseries',
      width: 12,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(StartTime) AS time, ${AGENT} AS agent, count() AS steps
FROM audit_events
WHERE ${EVENT_FILTER}
GROUP BY time, agent
ORDER BY time`,
      },
    },
    {
      title: 'Model usage per agent',
      description: 'Model requests and tokens per agent and model.',
      type: 'table',
      width: 12,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT ${AGENT} AS agent, Model AS model, count() AS requests,
  sum(ifNull(InputTokens, 0)) AS input_tokens, sum(ifNull(OutputTokens, 0)) AS output_tokens
FROM audit_events
WHERE Kind = 'model_request' AND ${EVENT_FILTER}
GROUP BY agent, model
ORDER BY requests DESC`,
      },
    },
    {
      title: 'Last activity',
      description: 'The last session of each agent, and on whose behalf it ran.',
      type: 'table',
      width: 12,
      height: 7,
      core: true,
      links: [SESSION_PAGE_LINK],
      clickhouse: {
        sql: `
SELECT ${AGENT} AS agent, argMax(${SESSION}, StartTime) AS session, max(StartTime) AS last_step,
  argMax(PrincipalId, if(PrincipalId != '', StartTime, toDateTime64(0, 9))) AS last_principal
FROM audit_events
${NAMED_SESSION_JOIN}
WHERE ${EVENT_FILTER}
GROUP BY agent
ORDER BY last_step DESC`,
      },
    },
    {
      title: 'Principals per agent',
      description: 'Sessions per agent and principal (the human or service the agent acted for).',
      type: 'piechart',
      width: 12,
      height: 7,
      core: true,
      clickhouse: {
        sql: `
SELECT concat(${AGENT}, ' for ', PrincipalId) AS agent_principal, uniqExact(${SESSION}) AS sessions
FROM audit_events
${NAMED_SESSION_JOIN}
WHERE PrincipalId != '' AND ${EVENT_FILTER}
GROUP BY agent_principal
ORDER BY sessions DESC
LIMIT 20`,
      },
    },
  ],
};
