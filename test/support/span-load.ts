import type { ClickHouseClient } from '@clickhouse/client';
import type { Span } from '../../schemas/otlp.ts';
import { createAccessToken } from '../../services/shared/auth/token-store.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { newTraceId, span, tracesData } from './otlp-builders.ts';

// A load generator for fault tests that behaves like an OTLP exporter: it
// sends one agent session per request and retries 429, 503 and network
// errors with the same spans until the gateway responds 2xx. It counts every
// span it sent and every span the gateway acknowledged, by id, so a test can
// compare them with what ClickHouse stores by the end.

export interface SpanLoadOptions {
  /** Gateway base URL; read before each attempt, so a test can point the load at a restarted gateway. */
  gatewayUrl: () => string;
  requestsPerSecond: number;
  spansPerRequest: number;
  /** Sessions waiting for a response or a retry at once; a tick that finds this many starts none and drops its share. */
  maxOutstanding: number;
  /** Maximum wait before a retry, whatever Retry-After requests, so that tests do not sit idle. */
  maxRetryDelayMs?: number;
  /** Sessions after which the load stops starting new ones, so that a load never runs without bound. */
  maxSessions?: number;
  /** Extra request headers, such as Authorization. */
  headers?: Record<string, string>;
}

export interface SpanLoadStats {
  sessionsStarted: number;
  spansSent: number;
  spansAcknowledged: number;
  /** `traceId/spanId` of every acknowledged span. */
  acknowledgedKeys: Set<string>;
  /** Responses by HTTP status, and `network` for requests that got none. */
  responses: Record<string, number>;
  /** 429 and 503 responses that carried no Retry-After header. */
  retryAfterMissing: number;
  /** Other responses, which no fault should cause; at most 10 kept. */
  unexpected: string[];
}

export interface SpanLoad {
  stats: SpanLoadStats;
  /**
   * Changes the rate of new sessions and, when given, the limit of outstanding
   * ones and how often a group of them starts at once, for a burst.
   */
  setRate(requestsPerSecond: number, maxOutstanding?: number, groupIntervalMs?: number): void;
  /** Starts no new session and resolves once every started session is acknowledged or `drainTimeoutMs` passed. */
  stop(drainTimeoutMs?: number): Promise<SpanLoadStats>;
}

/** Stores a new ingest token in the pipeline's database and returns the headers that send it. */
export async function createIngestHeaders(clickhouse: ClickHouseClient): Promise<Record<string, string>> {
  const { token } = await createAccessToken(clickhouse, { kind: 'ingest', tenant: 'default', createdBy: 'fault-tests' });
  return { Authorization: `Bearer ${token}` };
}

export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/** Builds one agent session: invoke_agent with model requests and tool calls alternating under it. */
export function buildLoadSession(spanCount: number, label: string): Span[] {
  const traceId = newTraceId();
  const startMs = Date.now() - 60_000;
  const root = span({
    traceId,
    name: 'invoke_agent load',
    startMs,
    durationMs: spanCount * 10,
    attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'load', 'gen_ai.conversation.id': `${label}-${traceId}` },
  });
  const spans = [root];
  for (let index = 1; index < spanCount; index += 1) {
    const isTool = index % 2 === 0;
    spans.push(
      span({
        traceId,
        parentSpanId: root.spanId,
        name: isTool ? 'execute_tool lookup_order' : 'chat load-model',
        startMs: startMs + index * 10,
        durationMs: 5,
        attributes: isTool
          ? { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order', 'gen_ai.tool.call.id': `call-${index}` }
          : { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'load-model', 'gen_ai.usage.input_tokens': 100 + index },
      }),
    );
  }
  return spans;
}

/** Returns counts of a load that has sent nothing yet, for tests that send spans their own way. */
export function emptyLoadStats(): SpanLoadStats {
  return {
    sessionsStarted: 0,
    spansSent: 0,
    spansAcknowledged: 0,
    acknowledgedKeys: new Set(),
    responses: {},
    retryAfterMissing: 0,
    unexpected: [],
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startSpanLoad(options: SpanLoadOptions): SpanLoad {
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 500;
  const stats = emptyLoadStats();
  const outstanding = new Set<Promise<void>>();
  let stopping = false;
  let drainDeadline = Number.POSITIVE_INFINITY;

  const record = (outcome: string): void => {
    stats.responses[outcome] = (stats.responses[outcome] ?? 0) + 1;
  };

  const sendUntilAcknowledged = async (spans: Span[]): Promise<void> => {
    const body = encodeTracesProtobuf(tracesData(spans, { 'service.name': 'load-agent' }));
    while (Date.now() < drainDeadline) {
      let delayMs = 50;
      try {
        const response = await fetch(`${options.gatewayUrl()}/v1/traces`, {
          method: 'POST',
          headers: { ...options.headers, 'Content-Type': 'application/x-protobuf' },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        await response.arrayBuffer();
        record(String(response.status));
        if (response.status === 200) {
          stats.spansAcknowledged += spans.length;
          for (const item of spans) stats.acknowledgedKeys.add(spanKey(item.traceId, item.spanId));
          return;
        }
        if (response.status === 429 || response.status === 503) {
          const retryAfter = response.headers.get('retry-after');
          if (retryAfter === null) stats.retryAfterMissing += 1;
          delayMs = Math.min(Number(retryAfter ?? 1) * 1000, maxRetryDelayMs);
        } else {
          // Retrying cannot help, so the test fails on the unexpected response.
          if (stats.unexpected.length < 10) stats.unexpected.push(`HTTP ${response.status}`);
          return;
        }
      } catch {
        record('network');
      }
      await sleep(delayMs);
    }
  };

  // Sessions start in groups, so a high rate arrives in bursts the way many
  // exporters flushing at once do. The rate follows the clock rather than the
  // timer's ticks, so a loaded machine that runs the timer late still sends
  // at the requested rate, in larger groups.
  const tickMs = 20;
  let rate = options.requestsPerSecond;
  let maxOutstanding = options.maxOutstanding;
  let groupIntervalMs = tickMs;
  let lastGroupAt = Date.now();
  let credit = 0;
  const timer = setInterval(() => {
    const now = Date.now();
    if (stopping || now - lastGroupAt < groupIntervalMs) return;
    credit += (rate * (now - lastGroupAt)) / 1000;
    lastGroupAt = now;
    while (credit >= 1) {
      credit -= 1;
      const atLimit = outstanding.size >= maxOutstanding
        || (options.maxSessions !== undefined && stats.sessionsStarted >= options.maxSessions);
      if (atLimit) {
        // Sessions a full client could not start are dropped, not saved up.
        credit = 0;
        return;
      }
      const spans = buildLoadSession(options.spansPerRequest, 'load');
      stats.sessionsStarted += 1;
      stats.spansSent += spans.length;
      const sending = sendUntilAcknowledged(spans).finally(() => outstanding.delete(sending));
      outstanding.add(sending);
    }
  }, tickMs);

  return {
    stats,
    setRate(requestsPerSecond, newMaxOutstanding, newGroupIntervalMs) {
      rate = requestsPerSecond;
      if (newMaxOutstanding !== undefined) maxOutstanding = newMaxOutstanding;
      groupIntervalMs = newGroupIntervalMs ?? tickMs;
    },
    async stop(drainTimeoutMs = 60_000) {
      stopping = true;
      clearInterval(timer);
      drainDeadline = Date.now() + drainTimeoutMs;
      while (outstanding.size > 0) await Promise.all([...outstanding]);
      return stats;
    },
  };
}
