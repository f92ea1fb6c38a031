import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runSupportAgent } from '../../examples/support-agent/agent.ts';
import { buildDashboard, type DashboardSpec, type PanelSpec } from '../../dashboards/src/grafana-model.ts';
import { dashboards } from '../../dashboards/src/index.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { expandGrafanaSql, type GrafanaQueryContext } from '../support/grafana-sql.ts';
import { agentSession, tracesData } from '../support/otlp-builders.ts';
import { countRows, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// Every ClickHouse query of the provisioned dashboards, expanded the way
// Grafana's ClickHouse plugin expands it, runs against the real schema after
// the example agent's session went through the whole pipeline.

let pipeline: TestPipeline;
let run: { sessionId: string; traceIds: string[] };
/** A session whose child spans arrived before the root span that names the session. */
let late: ReturnType<typeof agentSession> & { sessionId: string };

async function postSpans(spans: ReturnType<typeof agentSession>['spans']): Promise<void> {
  const response = await pipeline.fetch(`${pipeline.gatewayUrl}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf' },
    body: encodeTracesProtobuf(tracesData(spans)),
  });
  expect(response.status).toBe(200);
}

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'dashboards');
  run = await runSupportAgent({ otlpEndpoint: pipeline.gatewayUrl, token: pipeline.ingestToken });
  // The refund call carries the approval; its row is among the last written.
  await waitFor(
    async () => {
      const approvals = await countRows(pipeline.clickhouse, "SELECT count() AS count FROM audit_events WHERE Approvals != ''");
      const tools = await countRows(pipeline.clickhouse, "SELECT count() AS count FROM audit_events WHERE Kind = 'tool_call'");
      return approvals > 0 && tools >= 2 ? true : undefined;
    },
    { what: 'the example session in audit_events' },
  );

  const lateSessionId = `late-${Date.now()}`;
  late = { ...agentSession({ sessionId: lateSessionId, startMs: Date.now() - 30_000 }), sessionId: lateSessionId };
  await postSpans([late.chat, late.tool]);
  await waitFor(
    async () => ((await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM audit_events WHERE TraceId = {traceId:String}', { traceId: late.traceId })) === 2 ? true : undefined),
    { what: 'the child spans filed under their trace id' },
  );
  await postSpans([late.root]);
  await waitFor(
    async () => ((await countRows(pipeline.clickhouse, 'SELECT count() AS count FROM session_index WHERE SessionId = {sessionId:String}', { sessionId: late.sessionId })) > 0 ? true : undefined),
    { what: 'the root span naming the session' },
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

async function query(sql: string): Promise<Record<string, unknown>[]> {
  const result = await pipeline.clickhouse.query({ query: sql, format: 'JSONEachRow' });
  return result.json<Record<string, unknown>>();
}

function contextFor(variables: GrafanaQueryContext['variables']): GrafanaQueryContext {
  return { fromMs: Date.now() - 3_600_000, toMs: Date.now() + 300_000, intervalSeconds: 60, variables };
}

/** Collects the rawSql of each ClickHouse panel as it appears in the generated dashboard JSON. */
function clickHousePanels(spec: DashboardSpec): { spec: PanelSpec; rawSql: string }[] {
  const json = buildDashboard(spec) as { panels: { title: string; targets: { rawSql?: string }[] }[] };
  return json.panels.flatMap((panel, index) => {
    const rawSql = panel.targets[0]?.rawSql;
    return rawSql === undefined ? [] : [{ spec: spec.panels[index]!, rawSql }];
  });
}

const allSelected = { agent: 'all', environment: 'all' } as const;

describe('dashboard queries', () => {
  it('list variable values', async () => {
    const sessionVariables = { session_id: [run.sessionId], ...allSelected };
    for (const variable of dashboards.flatMap((dashboard) => dashboard.variables)) {
      if (variable.sql === undefined) continue;
      const rows = await query(expandGrafanaSql(variable.sql, contextFor(sessionVariables)));
      expect(rows.length, `variable ${variable.name}`).toBeGreaterThan(0);
    }
  });

  for (const dashboard of dashboards) {
    it(`run for ${dashboard.uid}`, async () => {
      const variables = {
        ...allSelected,
        session_id: [run.sessionId],
        trace_id: [run.traceIds[0]!],
        api_url: ['http://127.0.0.1:8080'],
      };
      const panels = clickHousePanels(dashboard);
      const failures: string[] = [];
      const empty: string[] = [];
      for (const { spec, rawSql } of panels) {
        try {
          const rows = await query(expandGrafanaSql(rawSql, contextFor(variables)));
          if (spec.core && rows.length === 0) empty.push(spec.title);
        } catch (error) {
          failures.push(`${spec.title}: ${(error as Error).message}`);
        }
      }

      expect(failures).toEqual([]);
      expect(empty).toEqual([]);
    });
  }

  it('filter by one agent and environment', async () => {
    const variables = { agent: ['support-agent'], environment: ['demo'] };
    const filtered = dashboards.filter((dashboard) => dashboard.variables.some((variable) => variable.name === 'agent'));
    const empty: string[] = [];
    for (const dashboard of filtered) {
      for (const { spec, rawSql } of clickHousePanels(dashboard)) {
        if (!rawSql.includes('$agent')) continue;
        const rows = await query(expandGrafanaSql(rawSql, contextFor({ ...variables, api_url: ['http://127.0.0.1:8080'] })));
        if (spec.core && rows.length === 0) empty.push(`${dashboard.uid}: ${spec.title}`);
      }
    }

    expect(empty).toEqual([]);
  });

  it('shape the trace view rows', async () => {
    const trace = dashboards.find((dashboard) => dashboard.uid === 'agent-audit-session')!.panels.find((panel) => panel.type === 'traces')!;
    const rows = await query(expandGrafanaSql(trace.clickhouse!.sql, contextFor({ trace_id: [run.traceIds[0]!] })));

    expect(rows.length).toBeGreaterThan(3);
    const root = rows.find((row) => row['parentSpanID'] === '');
    expect(root?.['operationName']).toBe('invoke_agent support-agent');
    expect(Object.keys(rows[0]!).sort()).toEqual(
      ['duration', 'kind', 'operationName', 'parentSpanID', 'serviceName', 'serviceTags', 'spanID', 'startTime', 'statusCode', 'tags', 'traceID'],
    );
  });

  it('count the example agent facts', async () => {
    const overview = dashboards.find((dashboard) => dashboard.uid === 'agent-audit-overview')!;
    const value = async (title: string): Promise<number> => {
      const panel = overview.panels.find((candidate) => candidate.title === title)!;
      const rows = await query(expandGrafanaSql(panel.clickhouse!.sql, contextFor({ agent: ['support-agent'], environment: 'all' })));
      return Number(Object.values(rows[0]!)[0]);
    };

    expect(await value('Sessions')).toBe(1);
    expect(await value('Tool calls')).toBe(2);
    expect(await value('Approval decisions')).toBe(1);
    expect(await value('Long-lived credential uses')).toBe(1);
    expect(await value('Sensitive data reads')).toBe(1);
  });

  it('keep early child spans in their session', async () => {
    const overview = dashboards.find((dashboard) => dashboard.uid === 'agent-audit-overview')!;
    const recent = overview.panels.find((panel) => panel.title === 'Recent sessions')!;
    const sessions = overview.panels.find((panel) => panel.title === 'Sessions')!;

    const rows = await query(expandGrafanaSql(recent.clickhouse!.sql, contextFor(allSelected)));
    const count = await query(expandGrafanaSql(sessions.clickhouse!.sql, contextFor(allSelected)));

    expect(rows.map((row) => row['session']).sort()).toEqual([late.sessionId, run.sessionId].sort());
    expect(rows.find((row) => row['session'] === late.sessionId)).toMatchObject({ model_requests: '1', tool_calls: '1' });
    expect(Number(Object.values(count[0]!)[0])).toBe(2);
  });
});
