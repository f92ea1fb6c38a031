import type { LogRecord, LogsData } from '../../schemas/otlp-logs.ts';
import type { AnyValue, KeyValue, Span, TracesData } from '../../schemas/otlp.ts';
import type { IngestIdentity } from './auth/identity.ts';
import { checkIngestLimits, maxJsonDepthFor, type LimitViolation } from './ingest-limits.ts';
import { createRedactor, type RedactionRecord, type Redactor } from './redaction/redact.ts';
import { compileRules } from './redaction/rules.ts';
import { capturePolicyOf, type CapturePolicy, type SecurityConfig } from './security-config.ts';

// What happens to spans between decoding and the first write, in the gateway
// and in the writer for the Collector-fed topic: the request limits, then the
// tenant's capture policy (redaction).

export type PrepareResult =
  | { ok: true; redactions: RedactionRecord[] }
  | { ok: false; violation: LimitViolation };

export interface IngestGuard {
  /** Deepest JSON nesting a body may have; deeper bodies are rejected before parsing. */
  readonly maxJsonDepth: number;
  readonly redactor: Redactor;
  /** Checks the limits and applies the tenant's capture policy, changing the data in place. */
  prepare(data: TracesData, identity: IngestIdentity, rejectedSpans?: number): PrepareResult;
  /** Applies the tenant's capture policy to log records in place: bodies and attributes like span attributes. */
  prepareLogs(data: LogsData, identity: IngestIdentity): RedactionRecord[];
}

// The key a log record's body travels under while the span redactor treats
// the record as a span; under metadata_only it is dropped like any content.
const LOG_BODY_KEY = 'log.body';

/**
 * Redacts log records with the span redactor: each record is lent to it as a
 * span whose attributes are the record's, plus its body. The resource and
 * scope attribute lists are shared, so their redaction lands in place too.
 */
function redactLogs(data: LogsData, redactor: Redactor, policy: CapturePolicy): RedactionRecord[] {
  const lent: { record: LogRecord; span: Span }[] = [];
  const traces: TracesData = {
    resourceSpans: data.resourceLogs.map((resourceLogs) => ({
      resource: resourceLogs.resource,
      schemaUrl: resourceLogs.schemaUrl,
      scopeSpans: resourceLogs.scopeLogs.map((scopeLogs) => ({
        scope: scopeLogs.scope,
        schemaUrl: scopeLogs.schemaUrl,
        spans: scopeLogs.logRecords.map((record) => {
          const span: Span = {
            traceId: record.traceId,
            spanId: record.spanId,
            parentSpanId: '',
            traceState: '',
            name: record.eventName,
            kind: 0,
            startTimeUnixNano: record.timeUnixNano,
            endTimeUnixNano: record.timeUnixNano,
            attributes: [...record.attributes, { key: LOG_BODY_KEY, value: record.body }],
            events: [],
            links: [],
            status: { code: 0, message: '' },
          };
          lent.push({ record, span });
          return span;
        }),
      })),
    })),
  };
  const records = redactor.apply(traces, policy);
  for (const { record, span } of lent) {
    record.body = span.attributes.find((attribute) => attribute.key === LOG_BODY_KEY)?.value ?? {};
    record.attributes = span.attributes.filter((attribute) => attribute.key !== LOG_BODY_KEY);
    record.eventName = span.name;
  }
  return records;
}

function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

function sanitizeAttributes(attributes: KeyValue[]): void {
  for (const attribute of attributes) {
    attribute.key = wellFormed(attribute.key);
    sanitizeValue(attribute.value);
  }
}

function sanitizeValue(value: AnyValue): void {
  if ('stringValue' in value) (value as { stringValue: string }).stringValue = wellFormed(value.stringValue);
  else if ('arrayValue' in value) for (const item of value.arrayValue.values) sanitizeValue(item);
  else if ('kvlistValue' in value) sanitizeAttributes(value.kvlistValue.values);
}

/**
 * Replaces lone UTF-16 surrogates (which OTLP/JSON can carry as "\ud800")
 * with U+FFFD. ClickHouse rejects them in a JSON insert, and one such span
 * would make every retry of its batch fail.
 */
export function sanitizeStrings(data: TracesData): void {
  for (const resourceSpans of data.resourceSpans) {
    sanitizeAttributes(resourceSpans.resource.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      scopeSpans.scope.name = wellFormed(scopeSpans.scope.name);
      scopeSpans.scope.version = wellFormed(scopeSpans.scope.version);
      sanitizeAttributes(scopeSpans.scope.attributes);
      for (const span of scopeSpans.spans) {
        span.name = wellFormed(span.name);
        span.traceState = wellFormed(span.traceState);
        span.status.message = wellFormed(span.status.message);
        sanitizeAttributes(span.attributes);
        for (const event of span.events) {
          event.name = wellFormed(event.name);
          sanitizeAttributes(event.attributes);
        }
        for (const link of span.links) {
          link.traceState = wellFormed(link.traceState);
          sanitizeAttributes(link.attributes);
        }
      }
    }
  }
}

export function createIngestGuard(security: SecurityConfig): IngestGuard {
  const redactor = createRedactor({
    rules: compileRules(security.redaction),
    piiExemptKeys: security.redaction.piiExemptKeys,
    metadataKeys: security.redaction.metadataKeys,
  });
  return {
    maxJsonDepth: maxJsonDepthFor(security.ingestLimits),
    redactor,
    prepare(data, identity, rejectedSpans = 0) {
      const violation = checkIngestLimits(data, security.ingestLimits, rejectedSpans);
      if (violation !== null) return { ok: false, violation };
      sanitizeStrings(data);
      return { ok: true, redactions: redactor.apply(data, capturePolicyOf(security, identity.tenant)) };
    },
    prepareLogs(data, identity) {
      return redactLogs(data, redactor, capturePolicyOf(security, identity.tenant));
    },
  };
}
