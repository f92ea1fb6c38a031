import type { Producer } from 'kafkajs';
import { ENVELOPE_VERSION, type EnvelopeHeaders } from '../../schemas/kafka-envelope.ts';
import type { TracesData } from '../../schemas/otlp.ts';
import { AuditError } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import { normalizeTraces } from '../shared/normalize/index.ts';
import { encodeTracesProtobuf } from '../shared/otlp/protobuf.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { buildSpanRows, insertSpanRows } from '../shared/storage/span-store.ts';
import { splitBySession } from './split-by-session.ts';

/** Where the gateway puts accepted spans. `write` resolves only once they are durable. */
export interface SpanSink {
  write(data: TracesData, receivedAtUnixNano: bigint): Promise<void>;
}

/**
 * Writes one Kafka message per session, keyed by session id. The producer is
 * idempotent and waits for all in-sync replicas, so a resolved write is in
 * Kafka for good; any failure becomes `unavailable`, which the gateway
 * answers with 503 and Retry-After so that exporters retry.
 */
export class KafkaSpanSink implements SpanSink {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger;

  constructor(producer: Producer, topic: string, timeoutMs: number, logger: Logger) {
    this.#producer = producer;
    this.#topic = topic;
    this.#timeoutMs = timeoutMs;
    this.#logger = logger;
  }

  async write(data: TracesData, receivedAtUnixNano: bigint): Promise<void> {
    const messages = [...splitBySession(data)].map(([sessionId, sessionData]) => {
      const headers: EnvelopeHeaders = {
        'audit.envelope-version': ENVELOPE_VERSION,
        'content-type': 'application/x-protobuf',
        'audit.session-id': sessionId,
        'audit.received-at': receivedAtUnixNano.toString(),
      };
      return { key: sessionId, value: Buffer.from(encodeTracesProtobuf(sessionData)), headers };
    });
    try {
      await this.#producer.send({ topic: this.#topic, acks: -1, timeout: this.#timeoutMs, messages });
    } catch (error) {
      this.#logger.warn({ err: error, topic: this.#topic, messages: messages.length }, 'Kafka produce failed');
      throw new AuditError('unavailable', 'Kafka did not accept the spans; retry later', {
        cause: error,
        context: { topic: this.#topic },
      });
    }
  }
}

/**
 * Writes straight to ClickHouse, for the embedded mode without Kafka. Inserts
 * run one at a time because the embedded engine serves one query at a time.
 */
export class DirectSpanSink implements SpanSink {
  readonly #client: ClickHouseClient;
  readonly #logger: Logger;
  #queue: Promise<void> = Promise.resolve();

  constructor(client: ClickHouseClient, logger: Logger) {
    this.#client = client;
    this.#logger = logger;
  }

  write(data: TracesData): Promise<void> {
    const rows = buildSpanRows(data, normalizeTraces(data));
    const insert = this.#queue.then(() => insertSpanRows(this.#client, rows));
    this.#queue = insert.catch(() => undefined);
    return insert.catch((error: unknown) => {
      this.#logger.warn({ err: error, spans: rows.auditEvents.length }, 'ClickHouse insert failed');
      throw new AuditError('unavailable', 'storage did not accept the spans; retry later', { cause: error });
    });
  }
}
