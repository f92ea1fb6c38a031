import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { DeadLetterHeaders } from '../../schemas/kafka-envelope.ts';
import type { Config } from '../shared/config.ts';
import type { Logger } from '../shared/logger.ts';
import { normalizeTraces } from '../shared/normalize/index.ts';
import { summarizeRejections } from '../shared/otlp/validate.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import {
  appendSpanRows,
  buildSpanRows,
  countRows,
  emptySpanRows,
  insertSpanRows,
  type SpanRows,
} from '../shared/storage/span-store.ts';
import { decodeSpanMessage } from './message-decoder.ts';

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
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Moves spans from Kafka into ClickHouse. Messages are decoded into a buffer
 * that is inserted when it reaches maxBatchRows or when flushIntervalMs has
 * passed, and offsets are committed only after ClickHouse acknowledged the
 * insert. A crash between insert and commit redelivers the batch, and the
 * ReplacingMergeTree tables collapse the repeated rows.
 *
 * While an insert is failing the buffer stops growing at maxBatchRows and
 * eachBatch waits for the insert, so consumption pauses instead of holding an
 * unbounded backlog in memory.
 */
export class SpanWriter {
  readonly #options: SpanWriterOptions;
  readonly #logger: Logger;
  #buffer: SpanRows = emptySpanRows();
  /** Highest offset handled per "topic\u0000partition", waiting for the next commit. */
  #pendingOffsets = new Map<string, { topic: string; partition: number; offset: string }>();
  #flushing: Promise<void> | null = null;
  #timer: NodeJS.Timeout | null = null;
  #stopping = false;

  constructor(options: SpanWriterOptions) {
    this.#options = options;
    this.#logger = options.logger;
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
    this.#logger.info('span writer stopped');
  }

  async #handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (this.#stopping || !isRunning() || isStale()) return;
      await this.#handleMessage(batch.topic, batch.partition, message);
      resolveOffset(message.offset);
      if (countRows(this.#buffer) >= this.#options.maxBatchRows) await this.#flushWithHeartbeat(heartbeat);
    }
    await heartbeat();
    this.#scheduleFlush();
  }

  async #handleMessage(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    const decoded = decodeSpanMessage(message, this.#options.kafka.collectorEncoding);
    if (!decoded.ok) {
      await this.#deadLetter(topic, partition, message, decoded.reason);
    } else {
      if (decoded.rejections.length > 0) {
        await this.#deadLetter(topic, partition, message, summarizeRejections(decoded.rejections));
      }
      appendSpanRows(this.#buffer, buildSpanRows(decoded.data, normalizeTraces(decoded.data)));
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
    this.#logger.warn(
      { topic, partition, offset: message.offset, deadLetterTopic: this.#options.kafka.deadLetterTopic, reason },
      'sent message to dead-letter topic',
    );
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

    await this.#insertWithRetry(rows);
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
        await insertSpanRows(this.#options.clickhouse, rows);
        this.#logger.debug({ rows: countRows(rows), ms: Math.round(performance.now() - started) }, 'inserted batch');
        return;
      } catch (error) {
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
