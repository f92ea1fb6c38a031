import { randomBytes } from 'node:crypto';
import type { LogRecord, LogsData } from '../../schemas/otlp-logs.ts';
import type { KeyValue, Span, TracesData } from '../../schemas/otlp.ts';

// Builders for OTLP test data. Ids are random per call so that tests sharing
// one ClickHouse database never collide.

export function newTraceId(): string {
  return randomBytes(16).toString('hex');
}

export function newSpanId(): string {
  return randomBytes(8).toString('hex');
}

export function attributes(values: Record<string, string | number | boolean>): KeyValue[] {
  return Object.entries(values).map(([key, value]) => {
    if (typeof value === 'string') return { key, value: { stringValue: value } };
    if (typeof value === 'boolean') return { key, value: { boolValue: value } };
    return { key, value: Number.isInteger(value) ? { intValue: BigInt(value) } : { doubleValue: value } };
  });
}

export interface SpanSpec {
  traceId: string;
  spanId?: string;
  parentSpanId?: string;
  name: string;
  startMs: number;
  durationMs?: number;
  attributes?: Record<string, string | number | boolean>;
  status?: 0 | 1 | 2;
  kind?: Span['kind'];
}

export function span(spec: SpanSpec): Span {
  const start = BigInt(Math.round(spec.startMs * 1_000_000));
  return {
    traceId: spec.traceId,
    spanId: spec.spanId ?? newSpanId(),
    parentSpanId: spec.parentSpanId ?? '',
    traceState: '',
    name: spec.name,
    kind: spec.kind ?? 1,
    startTimeUnixNano: start,
    endTimeUnixNano: start + BigInt(Math.round((spec.durationMs ?? 10) * 1_000_000)),
    attributes: attributes(spec.attributes ?? {}),
    events: [],
    links: [],
    status: { code: spec.status ?? 0, message: '' },
  };
}

export function tracesData(spans: Span[], resource: Record<string, string> = { 'service.name': 'test-agent' }): TracesData {
  return {
    resourceSpans: [
      {
        resource: { attributes: attributes(resource) },
        schemaUrl: '',
        scopeSpans: [{ scope: { name: 'test', version: '1.0.0', attributes: [] }, schemaUrl: '', spans }],
      },
    ],
  };
}

/** Wraps log records in one resource and one scope, as an OTLP logs request. */
export function logsData(records: LogRecord[], resource: KeyValue[] = [], scopeName = 's'): LogsData {
  return {
    resourceLogs: [
      {
        resource: { attributes: resource },
        schemaUrl: '',
        scopeLogs: [{ scope: { name: scopeName, version: '', attributes: [] }, schemaUrl: '', logRecords: records }],
      },
    ],
  };
}

/** A small agent session: invoke_agent with a chat and a tool call under it. */
export function agentSession(options: { sessionId: string; traceId?: string; startMs?: number; tool?: string }) {
  const traceId = options.traceId ?? newTraceId();
  const startMs = options.startMs ?? Date.now() - 60_000;
  const root = span({
    traceId,
    name: 'invoke_agent support',
    startMs,
    durationMs: 500,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support',
      'gen_ai.conversation.id': options.sessionId,
      'user.id': 'user-7',
    },
  });
  const chat = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'chat test-model',
    startMs: startMs + 10,
    durationMs: 100,
    kind: 3,
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'test-model', 'gen_ai.usage.input_tokens': 42 },
  });
  const tool = span({
    traceId,
    parentSpanId: root.spanId,
    name: `execute_tool ${options.tool ?? 'lookup_order'}`,
    startMs: startMs + 120,
    durationMs: 30,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': options.tool ?? 'lookup_order',
      'gen_ai.tool.call.id': 'call-1',
    },
  });
  return { traceId, root, chat, tool, spans: [root, chat, tool] };
}
