import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_DIR, renderDashboards } from '../../dashboards/src/build.ts';
import { dashboards } from '../../dashboards/src/index.ts';
import { createMetrics } from '../../services/shared/metrics.ts';
import { expandGrafanaSql } from '../support/grafana-sql.ts';

const context = { fromMs: 1_700_000_000_000, toMs: 1_700_003_600_000, intervalSeconds: 60 };

describe('dashboards', () => {
  it('match their generated JSON files', () => {
    const rendered = renderDashboards();
    const files = fs.readdirSync(OUTPUT_DIR).filter((file) => file.endsWith('.json')).sort();

    expect(files).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered) {
      expect(fs.readFileSync(path.join(OUTPUT_DIR, file), 'utf8'), `${file} is stale; run npm run dashboards`).toBe(text);
    }
  });

  it('have at least twenty panels', () => {
    expect(dashboards.length).toBeGreaterThanOrEqual(5);
    expect(dashboards.flatMap((dashboard) => dashboard.panels).length).toBeGreaterThanOrEqual(20);
  });

  it('query only metrics the services export', async () => {
    const names = new Set((await createMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name));
    const expressions = dashboards.flatMap((dashboard) => dashboard.panels.flatMap((panel) => panel.prometheus ?? []));

    expect(expressions.length).toBeGreaterThan(0);
    for (const { expr } of expressions) {
      const metrics = expr.match(/agent_audit_\w+/g) ?? [];
      expect(metrics.length, expr).toBeGreaterThan(0);
      for (const metric of metrics) {
        expect(names, `${metric} in ${expr}`).toContain(metric.replace(/_(bucket|sum|count)$/, ''));
      }
    }
  });
});

describe('expandGrafanaSql', () => {
  it('drops a conditional for All', () => {
    const sql = "SELECT 1 WHERE $__conditionalAll(a IN (${agent:singlequote}), $agent) AND $__timeFilter(t)";

    expect(expandGrafanaSql(sql, { ...context, variables: { agent: 'all' } })).toBe(
      'SELECT 1 WHERE 1=1 AND t >= toDateTime(1700000000) AND t <= toDateTime(1700003600)',
    );
  });

  it('quotes selected values', () => {
    const sql = "SELECT $__timeInterval(t) WHERE $__conditionalAll(a IN (${agent:singlequote}), $agent)";

    expect(expandGrafanaSql(sql, { ...context, variables: { agent: ["o'hara", 'b'] } })).toBe(
      "SELECT toStartOfInterval(toDateTime(t), INTERVAL 60 second) WHERE a IN ('o\\'hara','b')",
    );
  });

  it('rejects unknown syntax', () => {
    expect(() => expandGrafanaSql('SELECT $__unknownMacro(t)', { ...context, variables: {} })).toThrow(/unexpanded/);
    expect(() => expandGrafanaSql('SELECT ${missing}', { ...context, variables: {} })).toThrow(/has no value/);
  });
});
