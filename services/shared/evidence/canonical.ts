import { createHash } from 'node:crypto';
import { CANONICAL_FORM } from '../../../schemas/evidence.ts';

// The canonical form of a span's stored rows: for each table a fixed list of
// columns, each turned into a plain JSON value the same way whether it comes
// from the row the writer inserted or from the row read back from ClickHouse.
// Times are nanoseconds as decimal strings, 64-bit integers are strings and
// maps are [key, value] pairs sorted by key.
//
// NOTE: only the columns listed here are covered. A column added to
// otel_traces or audit_events later is not sealed until it is listed here,
// under a new CANONICAL_FORM version.

type ColumnKind = 'string' | 'time' | 'timeArray' | 'map' | 'mapArray' | 'uint' | 'nullableUint' | 'stringArray';

interface Column {
  name: string;
  kind: ColumnKind;
}

const columns = (kinds: Record<string, ColumnKind>): Column[] => Object.entries(kinds).map(([name, kind]) => ({ name, kind }));

export const otelTraceColumns: readonly Column[] = columns({
  Timestamp: 'time',
  TraceId: 'string',
  SpanId: 'string',
  ParentSpanId: 'string',
  TraceState: 'string',
  SpanName: 'string',
  SpanKind: 'string',
  ServiceName: 'string',
  ResourceAttributes: 'map',
  ScopeName: 'string',
  ScopeVersion: 'string',
  SpanAttributes: 'map',
  Duration: 'uint',
  StatusCode: 'string',
  StatusMessage: 'string',
  'Events.Timestamp': 'timeArray',
  'Events.Name': 'stringArray',
  'Events.Attributes': 'mapArray',
  'Links.TraceId': 'stringArray',
  'Links.SpanId': 'stringArray',
  'Links.TraceState': 'stringArray',
  'Links.Attributes': 'mapArray',
  SessionId: 'string',
  Tenant: 'string',
  IngestPrincipal: 'string',
  IngestAgent: 'string',
});

export const auditEventColumns: readonly Column[] = columns({
  SessionId: 'string',
  SessionSource: 'string',
  TraceId: 'string',
  SpanId: 'string',
  ParentSpanId: 'string',
  Kind: 'string',
  Name: 'string',
  Operation: 'string',
  StartTime: 'time',
  EndTime: 'time',
  Status: 'string',
  StatusMessage: 'string',
  ServiceName: 'string',
  ScopeName: 'string',
  AgentId: 'string',
  AgentName: 'string',
  PrincipalId: 'string',
  Model: 'string',
  Provider: 'string',
  ToolName: 'string',
  ToolCallId: 'string',
  McpMethod: 'string',
  McpSessionId: 'string',
  ResourceUri: 'string',
  InputTokens: 'nullableUint',
  OutputTokens: 'nullableUint',
  Convention: 'string',
  Tenant: 'string',
  IngestPrincipal: 'string',
  IngestAgent: 'string',
});

/** The SELECT list that reads a table's canonical columns in a form canonicalRow accepts. */
export function canonicalSelectList(tableColumns: readonly Column[]): string {
  return tableColumns
    .map(({ name, kind }) => {
      const quoted = `\`${name}\``;
      if (kind === 'time') return `toString(toUnixTimestamp64Nano(${quoted})) AS ${quoted}`;
      if (kind === 'timeArray') return `arrayMap(t -> toString(toUnixTimestamp64Nano(t)), ${quoted}) AS ${quoted}`;
      if (kind === 'uint') return `toString(${quoted}) AS ${quoted}`;
      if (kind === 'nullableUint') return `if(isNull(${quoted}), NULL, toString(${quoted})) AS ${quoted}`;
      return quoted;
    })
    .join(', ');
}

/** Converts DateTime64(9) text: the writer's `seconds.fraction` or already nanoseconds. */
function toNanos(value: unknown): string {
  const text = String(value);
  const dot = text.indexOf('.');
  if (dot === -1) return BigInt(text).toString();
  const seconds = BigInt(text.slice(0, dot));
  const fraction = BigInt(text.slice(dot + 1, dot + 10).padEnd(9, '0'));
  return (seconds * 1_000_000_000n + fraction).toString();
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.toWellFormed() : String(value ?? '');
}

function toPairs(value: unknown): [string, string][] {
  const entries = value !== null && typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [];
  return entries.map(([key, item]): [string, string] => [text(key), text(item)]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function toArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function canonicalValue(kind: ColumnKind, value: unknown): unknown {
  switch (kind) {
    case 'string':
      return text(value);
    case 'time':
      return toNanos(value);
    case 'timeArray':
      return toArray(value).map(toNanos);
    case 'map':
      return toPairs(value);
    case 'mapArray':
      return toArray(value).map(toPairs);
    case 'uint':
      return String(value ?? '0');
    case 'nullableUint':
      return value === null || value === undefined ? null : String(value);
    case 'stringArray':
      return toArray(value).map(text);
  }
}

/** The canonical values of one row, in the table's column order. */
export function canonicalRow(tableColumns: readonly Column[], row: Record<string, unknown>): unknown[] {
  return tableColumns.map(({ name, kind }) => canonicalValue(kind, row[name]));
}

/** SHA-256 of a span's two rows in canonical form; a missing row counts as null. */
export function hashCanonicalSpan(otel: unknown[] | null, audit: unknown[] | null): string {
  return createHash('sha256').update(JSON.stringify([CANONICAL_FORM, otel, audit]), 'utf8').digest('hex');
}
