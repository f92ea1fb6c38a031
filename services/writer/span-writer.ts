import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { DeadLetterHeaders } from '../../schemas/kafka-envelope.ts';
import type { Config } from '../shared/config.ts';
import { insertSealedSpanRows, type Sealer } from '../shared/evidence/sealer.ts';
import type { IngestGuard } from '../shared/ingest-guard.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES } from '../shared/normalize/attribute-cap.ts';
import { normalizeTraces, type NormalizeOptions } from '../shared/normalize/index.ts';
import { summarizeRejections } from '../shared/otlp/validate.ts';
import { PeriodicCounts } from '../shared/periodic-counts.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { stampSpanRows, type HoldCheck } from '../shared/storage/ingest-columns.ts';
import {
  appendSpanRows,
  buildSpanRows,
  countRows,
  emptySpanRows,
  type SpanRows,
} from '../shared/storage/span-store.ts';
import { decodeLogsMessage, isLogsMessage } from './log-message.ts';
import { decodeSpanMessage } from './message-decoder.ts';
import { identifyMessage } from './message-identity.ts';

type KafkaConfig = NonNullable<Config['kafka']>;

export interface SpanWriterOptions {
  consumer: Consumer;
  producer: Producer;
  clickhouse: ClickHouseClient;
  kafka: KafkaConfig;
  maxBatchRows: number;
  flushIntervalMs: number;
  insertRetryMaxMs: number;
  logger: Logger;
  metrics: Metrics;
  /** Signs each inserted batch. */
  sealer: Sealer;
  isHeld: HoldCheck;
  /** Limits and redaction for the Collector-fed topic, whose messages did not pass the gateway. */
  guard: IngestGuard;
  tenants: { defaultTenant: string; collectorTenant: string };
  /** Maximum stored length of an attribute value, in UTF-8 bytes; the default of MAX_STORED_ATTRIBUTE_BYTES when absent. */
  maxStoredAttributeBytes?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves spans from Kafka into ClickHouse. Messages are decoded into a buffer
 * that is inserted when it reaches maxBatchRows or when flushIntervalMs has
 * passed, and offsets are committed only after ClickHouse acknowledged the
 * insert. A crash between insert and commit redelivers the batch, and the
 * ReplacingMergeTree tables collapse the repeated rows.
 *
 * While an insert is failing, the next buffer stops growing at maxBatchRows
 * (plus the rows of the message that crossed it) and eachBatch waits for the
 * insert, so memory keeps at most about two batches and the backlog stays in
 * Kafka instead.
 */
export class SpanWriter {
  readonly #options: SpanWriterOptions;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  /** Dead letters are logged as periodic counts; each one's source offset is in its headers. */
  readonly #deadLetterCounts: PeriodicCounts;
  #buffer: SpanRows = emptySpanRows();
  /** Rows of the batch being inserted, for the buffered-rows gauge. */
  #insertingRows = 0;
  /** Highest offset handled per "topic\u0000partition", waiting for the next commit. */
  #pendingOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  get #normalizeOptions(): NormalizeOptions {
    return { maxAttributeValueBytes: this.#options.maxStoredAttributeBytes ?? DEFAULT_MAX_ATTRIBUTE_VALUE_BYTES };
  }

  constructor(options: SpanWriterOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#deadLetterCounts = new PeriodicCounts(options.logger, 'sent messages to dead-letter topic');
  }

  get topics(): string[] {
    const { spansTopic, collectorTopic } = this.#options.kafka;
    return collectorTopic === '' ? [spansTopic] : [spansTopic, collectorTopic];
  }

  async start(): Promise<void> {
    const { consumer } = this.#options;
    await consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.#handleBatch(payload),
    });
    this.#logger.info({ topics: this.topics, group: this.#options.kafka.consumerGroup }, 'span writer started');
  }

  /** Stops consuming, inserts and commits what is buffered, then returns. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#options.consumer.stop();
    await this.flush();
    this.#deadLetterCounts.flush();
    this.#logger.info('span writer stopped');
  }

  async #handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (this.#stopping || !isRunning() || isStale()) return;
      await this.#handleMessage(batch.topic, batch.partition, message);
      resolveOffset(message.offset);
      this.#updateBufferedGauge();
      if (countRows(this.#buffer) >= this.#options.maxBatchRows) await this.#flushWithHeartbeat(heartbeat);
    }
    await heartbeat();
    this.#scheduleFlush();
  }

  async #handleMessage(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    if (isLogsMessage(message)) {
      const logs = decodeLogsMessage(message, this.#options.maxStoredAttributeBytes);
      if (logs.ok) appendSpanRows(this.#buffer, logs.rows);
      else await this.#deadLetter(topic, partition, message, logs.reason);
      this.#pendingOffsets.set(`${topic}\u0000${partition}`, { topic, partition, offset: message.offset });
      return;
    }
    const decoded = decodeSpanMessage(message, this.#options.kafka.collectorEncoding);
    if (!decoded.ok) {
      await this.#deadLetter(topic, partition, message, decoded.reason);
    } else {
      const source = identifyMessage(message, topic, { spansTopic: this.#options.kafka.spansTopic, ...this.#options.tenants });
      const prepared = source.viaGateway ? null : this.#options.guard.prepare(decoded.data, source.identity, decoded.rejections.length);
      if (prepared !== null && !prepared.ok) {
        await this.#deadLetter(topic, partition, message, prepared.violation.message);
      } else {
        if (decoded.rejections.length > 0) {
          await this.#deadLetter(topic, partition, message, summarizeRejections(decoded.rejections));
        }
        appendSpanRows(this.#buffer, stampSpanRows(buildSpanRows(decoded.data, normalizeTraces(decoded.data, this.#normalizeOptions), this.#normalizeOptions.maxAttributeValueBytes), source.identity, this.#options.isHeld));
      }
    }
    this.#pendingOffsets.set(`${topic}\u0000${partition}`, { topic, partition, offset: message.offset });
  }

  async #deadLetter(topic: string, partition: number, message: KafkaMessage, reason: string): Promise<void> {
    const headers: DeadLetterHeaders = {
      'audit.dead-letter.reason': reason,
      'audit.dead-letter.source-topic': topic,
      'audit.dead-letter.source-partition': String(partition),
      'audit.dead-letter.source-offset': message.offset,
      'audit.dead-letter.failed-at': new Date().toISOString(),
    };
    // Sent before the offset can be committed, so a message is either in
    // the dead-letter topic or still on its own topic to be read again.
    await this.#options.producer.send({
      topic: this.#options.kafka.deadLetterTopic,
      acks: -1,
      messages: [{ key: message.key, value: message.value, headers: { ...message.headers, ...headers } }],
    });
    this.#metrics.writerDeadLetters.inc({ topic });
    this.#deadLetterCounts.add(`${topic} to ${this.#options.kafka.deadLetterTopic}`, 1, reason);
  }

  #updateBufferedGauge(): void {
    this.#metrics.writerBufferedRows.set(countRows(this.#buffer) + this.#insertingRows);
  }

  #scheduleFlush(): void {
    if (this.#timer !== null || this.#stopping) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.flush().catch((error: unknown) => this.#logger.error({ err: error }, 'scheduled flush failed'));
    }, this.#options.flushIntervalMs);
  }

  async #flushWithHeartbeat(heartbeat: () => Promise<void>): Promise<void> {
    const flushing = this.flush();
    let done = false;
    void flushing.finally(() => {
      done = true;
    });
    // Heartbeats keep the group from evicting this member while an insert
    // waits for ClickHouse to come back.
    while (!done) {
      await Promise.race([flushing, sleep(1_000)]);
      if (!done) await heartbeat().catch(() => undefined);
    }
    await flushing;
  }

  /** Inserts the buffered rows, then commits their offsets. Concurrent calls share one flush at a time. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#pendingOffsets.size === 0) return;
    this.#flushing = this.#flushOnce().finally(() => {
      this.#flushing = null;
    });
    await this.#flushing;
  }

  async #flushOnce(): Promise<void> {
    const rows = this.#buffer;
    const offsets = [...this.#pendingOffsets.values()];
    this.#buffer = emptySpanRows();
    this.#pendingOffsets = new Map();
    this.#insertingRows = countRows(rows);
    this.#updateBufferedGauge();

    try {
      await this.#insertWithRetry(rows);
    } finally {
      this.#insertingRows = 0;
      this.#updateBufferedGauge();
    }
    if (countRows(rows) > 0) {
      this.#metrics.writerBatchRows.observe(countRows(rows));
      this.#metrics.writerSpansInserted.inc(countRows(rows));
    }
    const commits = offsets.map(({ topic, partition, offset }) => ({
      topic,
      partition,
      offset: (BigInt(offset) + 1n).toString(),
    }));
    try {
      await this.#options.consumer.commitOffsets(commits);
    } catch (error) {
      // After a rebalance another member reads these partitions again from
      // the last commit; the rows it inserts again collapse on merge.
      this.#logger.warn({ err: error, offsets: commits }, 'offset commit failed; messages will be redelivered');
      return;
    }
    for (const commit of commits) {
      this.#logger.debug({ ...commit, rows: countRows(rows) }, 'committed offset');
    }
  }

  async #insertWithRetry(rows: SpanRows): Promise<void> {
    let delayMs = 200;
    for (let attempt = 1; ; attempt += 1) {
      const started = performance.now();
      try {
        await insertSealedSpanRows(this.#options.clickhouse, rows, this.#options.sealer);
        const seconds = (performance.now() - started) / 1000;
        this.#metrics.clickhouseInsertDuration.observe(seconds);
        this.#logger.debug({ rows: countRows(rows), ms: Math.round(seconds * 1000) }, 'inserted batch');
        return;
      } catch (error) {
        this.#metrics.clickhouseInsertErrors.inc();
        if (this.#stopping && attempt >= 3) {
          // Leave the offsets uncommitted; the next writer reads these messages again.
          this.#logger.error({ err: error, rows: countRows(rows) }, 'insert failed during shutdown; batch left for redelivery');
          throw error;
        }
        this.#logger.warn({ err: error, attempt, retryInMs: delayMs, rows: countRows(rows) }, 'ClickHouse insert failed; retrying');
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, this.#options.insertRetryMaxMs);
      }
    }
  }
}
