import type { Convention, StepKind } from '../../../../schemas/audit-event.ts';
import type { SpanKind } from '../../../../schemas/otlp.ts';
import { readCount, readString, type AttributeMap } from '../../otlp/attributes.ts';
import type { StepFacts } from '../step-facts.ts';

/** The parts of a span that convention readers look at. */
export interface SpanView {
  name: string;
  kind: SpanKind;
  attributes: AttributeMap;
  resource: AttributeMap;
  scopeName: string;
}

type StringFact =
  | 'operation'
  | 'agentId'
  | 'agentName'
  | 'model'
  | 'provider'
  | 'toolName'
  | 'toolCallId'
  | 'resourceUri'
  | 'mcpSessionId'
  | 'rpcRequestId'
  | 'principalId';
type CountFact = 'inputTokens' | 'outputTokens';

/**
 * One convention's mapping onto the audit model. `kinds` maps the values of
 * one attribute to a step kind; `strings` and `counts` list, per audit
 * field, the attributes to read in order of preference. `read` holds what a
 * table cannot say (span names, message parsing, errors), and its facts win
 * over the table's.
 */
export interface ConventionMapping {
  name: Exclude<Convention, 'none'>;
  detect(span: SpanView): boolean;
  kinds?: { attribute: string; values: Record<string, StepKind> };
  strings?: Partial<Record<StringFact, readonly string[]>>;
  counts?: Partial<Record<CountFact, readonly string[]>>;
  read?(span: SpanView): StepFacts;
}

export function firstString(attributes: AttributeMap, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const value = readString(attributes, key);
    if (value) return value;
  }
  return undefined;
}

export function firstCount(attributes: AttributeMap, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = readCount(attributes, key);
    if (value !== undefined) return value;
  }
  return undefined;
}

export function hasKeyWithPrefix(attributes: AttributeMap, prefix: string): boolean {
  for (const key of attributes.keys()) if (key.startsWith(prefix)) return true;
  return false;
}

/** Applies a mapping to a span: the `read` facts first, then the tables. */
export function readMapping(mapping: ConventionMapping, span: SpanView): StepFacts {
  const facts: StepFacts = { ...(mapping.read?.(span) ?? {}) };
  const record = facts as Record<string, unknown>;
  if (mapping.kinds && facts.kind === undefined) {
    const value = readString(span.attributes, mapping.kinds.attribute);
    if (value !== undefined) facts.kind = mapping.kinds.values[value] ?? mapping.kinds.values[value.toLowerCase()];
  }
  for (const [field, keys] of Object.entries(mapping.strings ?? {})) {
    if (record[field] === undefined && keys) record[field] = firstString(span.attributes, keys);
  }
  for (const [field, keys] of Object.entries(mapping.counts ?? {})) {
    if (record[field] === undefined && keys) record[field] = firstCount(span.attributes, keys);
  }
  return facts;
}
