import type { AnyValue, KeyValue, Span, TracesData } from '../../../schemas/otlp.ts';
import type { CapturePolicy } from '../security-config.ts';
import type { RedactionRule } from './rules.ts';

// Applies a tenant's capture policy to decoded trace data before it is
// written anywhere. The data is changed in place. Each span gets the
// attribute `audit_trail.capture` (the policy applied) and, when anything
// was replaced or dropped, `audit_trail.redactions`: a JSON list of
// {location, rule, count}. Neither ever contains a replaced value.

export const CAPTURE_ATTRIBUTE = 'audit_trail.capture';
export const REDACTIONS_ATTRIBUTE = 'audit_trail.redactions';
/** Attributes under this prefix are written by the audit trail only; senders' copies are dropped. */
const reservedPrefix = 'audit_trail.';
const metadataOnlyRule = 'capture-metadata-only';

// Attribute keys that identify who or what acted. PII rules skip them, so
// that an investigator can still search by user or session; secret rules
// still apply.
const defaultPiiExemptKeys = [
  'user.id',
  'enduser.id',
  'session.id',
  'gen_ai.conversation.id',
  'gen_ai.agent.id',
  'gen_ai.agent.name',
  'service.name',
  'service.namespace',
  'service.instance.id',
];

// Attribute keys kept under metadata_only: what happened, by whom, with which
// model and tool, and how many tokens, never prompts, messages, tool
// arguments or results. A key ending in "." is a prefix.
const defaultMetadataKeys = [
  'gen_ai.operation.name',
  'gen_ai.provider.name',
  'gen_ai.system',
  'gen_ai.request.model',
  'gen_ai.response.model',
  'gen_ai.response.id',
  'gen_ai.response.finish_reasons',
  'gen_ai.usage.',
  'gen_ai.agent.id',
  'gen_ai.agent.name',
  'gen_ai.conversation.id',
  'gen_ai.tool.name',
  'gen_ai.tool.call.id',
  'gen_ai.tool.type',
  'gen_ai.data_source.id',
  'session.id',
  'user.id',
  'enduser.id',
  'service.',
  'telemetry.',
  'deployment.',
  'host.name',
  'k8s.',
  'mcp.method.name',
  'mcp.session.id',
  'mcp.protocol.version',
  'jsonrpc.request.id',
  'rpc.',
  'error.type',
  'server.address',
  'server.port',
  'network.',
  'db.system',
  'db.system.name',
  'db.operation.name',
  'db.collection.name',
  'http.request.method',
  'http.response.status_code',
  'url.scheme',
  'openinference.span.kind',
  'llm.model_name',
  'llm.provider',
  'llm.system',
  'llm.token_count.',
  'tool.name',
  'otel.',
];

export interface RedactionRecord {
  /** Where the rule fired: an attribute key, `name`, `status.message`, or a key prefixed by `resource:`, `scope:`, `event:` or `link:`. */
  location: string;
  rule: string;
  count: number;
}

export interface Redactor {
  /** Applies the policy to the data in place; returns what it replaced or dropped, summed over all spans. */
  apply(data: TracesData, policy: CapturePolicy): RedactionRecord[];
  /** Redacts one free text with the secret rules only, for text that is logged or echoed back. */
  redactText(text: string): string;
}

type Hits = Map<string, number>;

function keyMatches(key: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => (pattern.endsWith('.') ? key.startsWith(pattern) : key === pattern));
}

function replaceMatches(text: string, rules: readonly RedactionRule[], hits: Hits): string {
  let result = text;
  for (const rule of rules) {
    rule.regex.lastIndex = 0;
    result = result.replace(rule.regex, (match) => {
      if (rule.accept !== undefined && !rule.accept(match)) return match;
      hits.set(rule.id, (hits.get(rule.id) ?? 0) + 1);
      return `[REDACTED:${rule.id}]`;
    });
  }
  return result;
}

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function redactJson(value: Json, rules: readonly RedactionRule[], hits: Hits): Json {
  if (typeof value === 'string') return replaceMatches(value, rules, hits);
  if (Array.isArray(value)) return value.map((item) => redactJson(item, rules, hits));
  if (value !== null && typeof value === 'object') {
    const copy: { [key: string]: Json } = {};
    for (const [key, item] of Object.entries(value)) copy[key] = redactJson(item, rules, hits);
    return copy;
  }
  return value;
}

/**
 * Redacts a string. A string holding a JSON object or array (such as
 * gen_ai.input.messages) is redacted value by value, because JSON escaping
 * (a private key's line breaks as "\n") would hide a secret from the
 * patterns; it is written back as JSON only when something was replaced.
 */
function redactString(text: string, rules: readonly RedactionRule[], hits: Hits): string {
  const trimmed = text.trimStart();
  if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && text.length > 1) {
    let parsed: Json | undefined;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = undefined;
    }
    if (parsed !== undefined && parsed !== null && typeof parsed === 'object') {
      const before = hits.size === 0 ? 0 : [...hits.values()].reduce((a, b) => a + b, 0);
      const redacted = redactJson(parsed, rules, hits);
      const after = [...hits.values()].reduce((a, b) => a + b, 0);
      // The raw text is scanned as well, for a secret split across JSON escapes the walk did not undo.
      return replaceMatches(after > before ? JSON.stringify(redacted) : text, rules, hits);
    }
  }
  return replaceMatches(text, rules, hits);
}

function redactValue(value: AnyValue, rules: readonly RedactionRule[], hits: Hits): void {
  if ('stringValue' in value) {
    (value as { stringValue: string }).stringValue = redactString(value.stringValue, rules, hits);
  } else if ('arrayValue' in value) {
    for (const item of value.arrayValue.values) redactValue(item, rules, hits);
  } else if ('kvlistValue' in value) {
    for (const entry of value.kvlistValue.values) redactValue(entry.value, rules, hits);
  } else if ('bytesValue' in value && value.bytesValue.length > 0) {
    // Bytes that are UTF-8 text are checked as text; other bytes are kept as sent.
    const text = Buffer.from(value.bytesValue).toString('utf8');
    if (!text.includes('\uFFFD')) {
      const localHits: Hits = new Map();
      const redacted = redactString(text, rules, localHits);
      if (localHits.size > 0) {
        (value as { bytesValue: Uint8Array }).bytesValue = Buffer.from(redacted, 'utf8');
        for (const [rule, count] of localHits) hits.set(rule, (hits.get(rule) ?? 0) + count);
      }
    }
  }
}

class RecordSet {
  readonly records = new Map<string, RedactionRecord>();

  add(location: string, hits: Hits): void {
    for (const [rule, count] of hits) {
      const id = `${location}\u0000${rule}`;
      const record = this.records.get(id);
      if (record) record.count += count;
      else this.records.set(id, { location, rule, count });
    }
  }

  merge(other: RecordSet): void {
    for (const record of other.records.values()) this.add(record.location, new Map([[record.rule, record.count]]));
  }
}

export function createRedactor(options: {
  rules: readonly RedactionRule[];
  piiExemptKeys?: readonly string[];
  metadataKeys?: readonly string[];
}): Redactor {
  const allRules = options.rules;
  const secretRules = allRules.filter((rule) => rule.category === 'secret');
  const piiExempt = [...defaultPiiExemptKeys, ...(options.piiExemptKeys ?? [])];
  const metadataKeys = [...defaultMetadataKeys, ...(options.metadataKeys ?? [])];

  const rulesFor = (key: string, policy: CapturePolicy): readonly RedactionRule[] => {
    if (policy === 'full') return [];
    return keyMatches(key, piiExempt) ? secretRules : allRules;
  };

  /** Redacts or drops attributes in place; returns the kept ones. */
  const processAttributes = (attributes: KeyValue[], prefix: string, policy: CapturePolicy, records: RecordSet): KeyValue[] => {
    const kept: KeyValue[] = [];
    for (const attribute of attributes) {
      if (attribute.key.startsWith(reservedPrefix)) continue;
      const location = `${prefix}${attribute.key}`;
      if (policy === 'metadata_only' && !keyMatches(attribute.key, metadataKeys)) {
        records.add(location, new Map([[metadataOnlyRule, 1]]));
        continue;
      }
      const rules = rulesFor(attribute.key, policy);
      if (rules.length > 0) {
        const hits: Hits = new Map();
        redactValue(attribute.value, rules, hits);
        records.add(location, hits);
      }
      kept.push(attribute);
    }
    return kept;
  };

  const processText = (text: string, location: string, policy: CapturePolicy, records: RecordSet): string => {
    if (policy === 'full' || text === '') return text;
    if (policy === 'metadata_only' && location === 'status.message') {
      records.add(location, new Map([[metadataOnlyRule, 1]]));
      return '';
    }
    const hits: Hits = new Map();
    const redacted = replaceMatches(text, policy === 'metadata_only' ? secretRules : allRules, hits);
    records.add(location, hits);
    return redacted;
  };

  const processSpan = (span: Span, policy: CapturePolicy, shared: RecordSet): RecordSet => {
    const records = new RecordSet();
    records.merge(shared);
    span.name = processText(span.name, 'name', policy, records);
    span.status.message = processText(span.status.message, 'status.message', policy, records);
    span.attributes = processAttributes(span.attributes, '', policy, records);
    for (const event of span.events) {
      event.name = processText(event.name, `event:name`, policy, records);
      event.attributes = processAttributes(event.attributes, `event:${event.name}:`, policy, records);
    }
    for (const link of span.links) link.attributes = processAttributes(link.attributes, 'link:', policy, records);
    span.attributes.push({ key: CAPTURE_ATTRIBUTE, value: { stringValue: policy } });
    if (records.records.size > 0) {
      span.attributes.push({ key: REDACTIONS_ATTRIBUTE, value: { stringValue: JSON.stringify([...records.records.values()]) } });
    }
    return records;
  };

  return {
    apply(data, policy) {
      const total = new RecordSet();
      for (const resourceSpans of data.resourceSpans) {
        const resourceRecords = new RecordSet();
        resourceSpans.resource.attributes = processAttributes(resourceSpans.resource.attributes, 'resource:', policy, resourceRecords);
        for (const scopeSpans of resourceSpans.scopeSpans) {
          const scopeRecords = new RecordSet();
          scopeRecords.merge(resourceRecords);
          scopeSpans.scope.attributes = processAttributes(scopeSpans.scope.attributes, 'scope:', policy, scopeRecords);
          for (const span of scopeSpans.spans) total.merge(processSpan(span, policy, scopeRecords));
        }
      }
      return [...total.records.values()];
    },
    redactText(text) {
      return replaceMatches(text, secretRules, new Map());
    },
  };
}
