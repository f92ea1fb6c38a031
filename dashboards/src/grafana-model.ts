// Builders for the parts of Grafana's dashboard JSON model that the audit
// dashboards use. Each dashboard lists its panels as short definitions; the
// builders add the boilerplate Grafana expects and lay the panels out on its
// 24-column grid.

export const CLICKHOUSE = { type: 'grafana-clickhouse-datasource', uid: 'clickhouse-audit' } as const;
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus-audit' } as const;

/** Result formats of the ClickHouse plugin's backend (sqlutil.FormatQueryOption). */
const FORMAT = { timeSeries: 0, table: 1, logs: 2, traces: 3 } as const;

export type ClickHouseQueryType = keyof typeof FORMAT;

export interface ClickHouseTarget {
  refId: string;
  datasource: typeof CLICKHOUSE;
  editorType: 'sql';
  queryType: ClickHouseQueryType;
  format: number;
  rawSql: string;
}

export interface PrometheusTarget {
  refId: string;
  datasource: typeof PROMETHEUS;
  expr: string;
  legendFormat: string;
}

export type PanelType = 'timeseries' | 'table' | 'stat' | 'barchart' | 'piechart' | 'bargauge' | 'traces';

export interface PanelSpec {
  title: string;
  description: string;
  type: PanelType;
  /** Width in grid columns (of 24) and height in rows. */
  width: number;
  height: number;
  /** Marks a panel whose query must return rows for the example agent's data. */
  core?: boolean;
  clickhouse?: { sql: string; queryType?: ClickHouseQueryType };
  prometheus?: { expr: string; legend: string }[];
  unit?: string;
  /** Field links, e.g. from a session id to the session page. */
  links?: { field: string; title: string; url: string }[];
  stacked?: boolean;
}

export interface VariableSpec {
  name: string;
  label: string;
  /** A ClickHouse query listing the values; a free-text box when neither this nor `constant` is given. */
  sql?: string;
  /** A hidden value that operators edit in the dashboard settings. */
  constant?: string;
  multi?: boolean;
  defaultText?: string;
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  timeFrom: string;
  variables: VariableSpec[];
  panels: PanelSpec[];
}

function buildTargets(panel: PanelSpec): (ClickHouseTarget | PrometheusTarget)[] {
  if (panel.clickhouse !== undefined) {
    const queryType = panel.clickhouse.queryType ?? (panel.type === 'timeseries' ? 'timeSeries' : 'table');
    return [
      {
        refId: 'A',
        datasource: CLICKHOUSE,
        editorType: 'sql',
        queryType,
        format: FORMAT[queryType],
        rawSql: panel.clickhouse.sql.trim(),
      },
    ];
  }
  return (panel.prometheus ?? []).map((query, index) => ({
    refId: String.fromCharCode(65 + index),
    datasource: PROMETHEUS,
    expr: query.expr,
    legendFormat: query.legend,
  }));
}

function buildFieldConfig(panel: PanelSpec): object {
  const linksByField = new Map<string, { title: string; url: string }[]>();
  for (const link of panel.links ?? []) {
    linksByField.set(link.field, [...(linksByField.get(link.field) ?? []), { title: link.title, url: link.url }]);
  }
  const overrides = [...linksByField].map(([field, links]) => ({
    matcher: { id: 'byName', options: field },
    properties: [{ id: 'links', value: links }],
  }));
  const custom = panel.type === 'timeseries'
    ? { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, stacking: { mode: panel.stacked ? 'normal' : 'none', group: 'A' } }
    : {};
  return { defaults: { unit: panel.unit ?? 'short', custom }, overrides };
}

function buildOptions(panel: PanelSpec): object {
  switch (panel.type) {
    case 'stat':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value', graphMode: 'none' };
    case 'piechart':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: true }, legend: { displayMode: 'table', placement: 'right' } };
    case 'bargauge':
      return { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: true }, orientation: 'horizontal', displayMode: 'basic' };
    case 'barchart':
      return { orientation: 'horizontal', xTickLabelRotation: 0, legend: { displayMode: 'list', placement: 'bottom' } };
    case 'table':
      return { showHeader: true, cellHeight: 'sm' };
    case 'timeseries':
      return { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } };
    case 'traces':
      return {};
  }
}

/** Lays panels out left to right, wrapping to a new row when the next one does not fit. */
function layOut(panels: PanelSpec[]): { x: number; y: number; w: number; h: number }[] {
  const positions: { x: number; y: number; w: number; h: number }[] = [];
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const panel of panels) {
    if (x + panel.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    positions.push({ x, y, w: panel.width, h: panel.height });
    x += panel.width;
    rowHeight = Math.max(rowHeight, panel.height);
  }
  return positions;
}

function buildVariable(variable: VariableSpec): object {
  if (variable.constant !== undefined) {
    return {
      type: 'constant',
      name: variable.name,
      label: variable.label,
      query: variable.constant,
      current: { text: variable.constant, value: variable.constant },
      hide: 2,
    };
  }
  if (variable.sql === undefined) {
    const text = variable.defaultText ?? '';
    return {
      type: 'textbox',
      name: variable.name,
      label: variable.label,
      query: text,
      current: { text, value: text },
      hide: 0,
    };
  }
  const multi = variable.multi ?? true;
  return {
    type: 'query',
    name: variable.name,
    label: variable.label,
    datasource: CLICKHOUSE,
    query: variable.sql,
    definition: variable.sql,
    refresh: 2,
    multi,
    includeAll: multi,
    current: multi ? { text: ['All'], value: ['$__all'] } : {},
    sort: 1,
    hide: 0,
  };
}

export function buildDashboard(spec: DashboardSpec): object {
  const positions = layOut(spec.panels);
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: true,
    schemaVersion: 39,
    version: 1,
    timezone: 'browser',
    refresh: '1m',
    time: { from: spec.timeFrom, to: 'now' },
    templating: { list: spec.variables.map(buildVariable) },
    annotations: { list: [] },
    links: [{ title: 'Agent audit', type: 'dashboards', tags: ['agent-audit'], asDropdown: true, includeVars: false, keepTime: true }],
    panels: spec.panels.map((panel, index) => ({
      id: index + 1,
      type: panel.type,
      title: panel.title,
      description: panel.description,
      gridPos: positions[index],
      datasource: panel.clickhouse !== undefined ? CLICKHOUSE : PROMETHEUS,
      targets: buildTargets(panel),
      fieldConfig: buildFieldConfig(panel),
      options: buildOptions(panel),
    })),
  };
}
