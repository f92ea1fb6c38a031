import type { Producer } from 'kafkajs';
import { ENVELOPE_VERSION, type EnvelopeHeaders } from '../../schemas/kafka-envelope.ts';
import type { TracesData } from '../../schemas/otlp.ts';
import type { IngestIdentity } from '../shared/auth/identity.ts';
import { AuditError } from '../shared/errors.ts';
import { insertSealedSpanRows, type Sealer } from '../shared/evidence/sealer.ts';
import type { Metrics } from '../shared/metrics.ts';
import { DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES } from '../shared/normalize/attribute-cap.ts';
import { normalizeTraces } from '../shared/normalize/index.ts';
import { encodeTracesProtobuf } from '../shared/otlp/protobuf.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { stampSpanRows, type HoldCheck } from '../shared/storage/ingest-columns.ts';
import { buildSpanRows, insertSpanRows, type SpanRows } from '../shared/storage/span-store.ts';
import { buildLogRows } from '../shared/storage/log-store.ts';
import { normalizeLogs } from '../shared/normalize/logs.ts';
import { encodeLogsProtobuf } from '../shared/otlp/logs-codec.ts';
import type { LogsData } from '../../schemas/otlp-logs.ts';
import { splitBySession } from './split-by-session.ts';
import { splitLogsBySession } from './split-logs-by-session.ts';

/** The destination of accepted spans. `write` resolves only once they are durable. */
export interface SpanSink {
  write(data: TracesData, receivedAtUnixNano: bigint, identity: IngestIdentity): Promise<void>;
  /** Stores log records; resolves only once they are durable. A sink without it takes no logs. */
  writeLogs?(data: LogsData, receivedAtUnixNano: bigint, identity: IngestIdentity): Promise<void>;
}

export interface KafkaSpanSinkOptions {
  producer: Producer;
  topic: string;
  timeoutMs: number;
  metrics: Metrics;
}

/**
 * Writes one Kafka message per session, keyed by session id. The producer is
 * idempotent and waits for all in-sync replicas, so a resolved write is in
 * Kafka for good; any failure becomes `unavailable`, which the gateway
 * returns as 503 with Retry-After so that exporters retry. The gateway logs
 * failures as periodic counts with the last cause.
 */
export class KafkaSpanSink implements SpanSink {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #timeoutMs: number;
  readonly #metrics: Metrics;

  constructor(options: KafkaSpanSinkOptions) {
    this.#producer = options.producer;
    this.#topic = options.topic;
    this.#timeoutMs = options.timeoutMs;
    this.#metrics = options.metrics;
  }

  write(data: TracesData, receivedAtUnixNano: bigint, identity: IngestIdentity): Promise<void> {
    const bySession = [...splitBySession(data)].map(([sessionId, sessionData]) => ({
      sessionId,
      value: encodeTracesProtobuf(sessionData),
    }));
    return this.#send(bySession, receivedAtUnixNano, identity, 'spans');
  }

  writeLogs(data: LogsData, receivedAtUnixNano: bigint, identity: IngestIdentity): Promise<void> {
    const bySession = [...splitLogsBySession(data, receivedAtUnixNano)].map(([sessionId, sessionData]) => ({
      sessionId,
      value: encodeLogsProtobuf(sessionData),
    }));
    return this.#send(bySession, receivedAtUnixNano, identity, 'logs');
  }

  /** Sends one message per session with the envelope headers; any failure becomes `unavailable`. */
  async #send(
    bySession: { sessionId: string; value: Uint8Array }[],
    receivedAtUnixNano: bigint,
    identity: IngestIdentity,
    signal: 'spans' | 'logs',
  ): Promise<void> {
    const messages = bySession.map(({ sessionId, value }) => {
      const headers: EnvelopeHeaders = {
        'audit.envelope-version': ENVELOPE_VERSION,
        'content-type': 'application/x-protobuf',
        'audit.session-id': sessionId,
        'audit.received-at': receivedAtUnixNano.toString(),
        'audit.tenant': identity.tenant,
        'audit.ingest-principal': identity.principal,
        'audit.ingest-agent': identity.agent,
        ...(signal === 'logs' ? { 'audit.signal': 'logs' as const } : {}),
      };
      return { key: sessionId, value: Buffer.from(value), headers };
    });
    const endTimer = this.#metrics.kafkaProduceDuration.startTimer();
    try {
      await this.#producer.send({ topic: this.#topic, acks: -1, timeout: this.#timeoutMs, messages });
      endTimer({ outcome: 'ok' });
    } catch (error) {
      endTimer({ outcome: 'error' });
      throw new AuditError('unavailable', `Kafka did not accept the ${signal === 'logs' ? 'log records' : 'spans'}; retry later`, {
        cause: error,
        context: { topic: this.#topic },
      });
    }
  }

}

export interface DirectSpanSinkOptions {
  client: ClickHouseClient;
  /** Inserts held at once, the running one included; a write beyond this is rejected as overloaded. */
  maxQueuedInserts: number;
  metrics: Metrics;
  /** Signs each insert, so that later edits of the stored rows can be detected. */
  sealer: Sealer;
  isHeld: HoldCheck;
  /** Maximum stored length of an attribute value, in UTF-8 bytes; the default of MAX_STORED_ATTRIBUTE_BYTES when absent. */
  maxStoredAttributeBytes?: number;
}

/**
 * Writes straight to ClickHouse, for the embedded mode without Kafka. Batches
 * are inserted one after another from a queue, so that the queue's bound
 * also bounds the work waiting in the engine, which shares this process's
 * cores. The queue is bounded: a write that finds it full fails at once with
 * `overloaded` (429), and a failed insert with `unavailable` (503), so the
 * exporter retries either way and nothing is acknowledged before its insert.
 */
export class DirectSpanSink implements SpanSink {
  readonly #client: ClickHouseClient;
  readonly #maxQueuedInserts: number;
  readonly #metrics: Metrics;
  readonly #sealer: Sealer;
  readonly #isHeld: HoldCheck;
  readonly #maxStoredAttributeBytes: number;
  #queue: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(options: DirectSpanSinkOptions) {
    this.#client = options.client;
    this.#maxQueuedInserts = options.maxQueuedInserts;
    this.#metrics = options.metrics;
    this.#sealer = options.sealer;
    this.#isHeld = options.isHeld;
    this.#maxStoredAttributeBytes = options.maxStoredAttributeBytes ?? DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES;
  }

  async write(data: TracesData, _receivedAtUnixNano: bigint, identity: IngestIdentity): Promise<void> {
    if (this.#queued >= this.#maxQueuedInserts) {
      throw new AuditError('overloaded', `storage has ${this.#queued} inserts waiting; retry later`);
    }
    const rows = stampSpanRows(buildSpanRows(data, normalizeTraces(data, { maxAttributeValueBytes: this.#maxStoredAttributeBytes }), this.#maxStoredAttributeBytes), identity, this.#isHeld);
    this.#queued += 1;
    this.#metrics.embeddedInsertQueueDepth.set(this.#queued);
    const insert = this.#queue.then(() => this.#insertMeasured(rows));
    this.#queue = insert.catch(() => undefined);
    try {
      await insert;
    } catch (error) {
      this.#metrics.clickhouseInsertErrors.inc();
      throw new AuditError('unavailable', 'storage did not accept the spans; retry later', { cause: error });
    } finally {
      this.#queued -= 1;
      this.#metrics.embeddedInsertQueueDepth.set(this.#queued);
    }
  }

  async writeLogs(data: LogsData, receivedAtUnixNano: bigint): Promise<void> {
    if (this.#queued >= this.#maxQueuedInserts) {
      throw new AuditError('overloaded', `storage has ${this.#queued} inserts waiting; retry later`);
    }
    const rows = buildLogRows(data, normalizeLogs(data, receivedAtUnixNano), this.#maxStoredAttributeBytes);
    this.#queued += 1;
    // NOTE: log rows are neither sealed nor stamped with the tenant yet.
    const insert = this.#queue.then(() => insertSpanRows(this.#client, rows));
    this.#queue = insert.catch(() => undefined);
    try {
      await insert;
    } catch (error) {
      this.#metrics.clickhouseInsertErrors.inc();
      throw new AuditError('unavailable', 'storage did not accept the log records; retry later', { cause: error });
    } finally {
      this.#queued -= 1;
    }
  }

  async #insertMeasured(rows: SpanRows): Promise<void> {
    const endTimer = this.#metrics.clickhouseInsertDuration.startTimer();
    await insertSealedSpanRows(this.#client, rows, this.#sealer);
    endTimer();
  }
}
