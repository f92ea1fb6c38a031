import type { Config } from '../shared/config.ts';
import { createKafka, ensureTopics } from '../shared/kafka/client.ts';
import type { Logger } from '../shared/logger.ts';
import type { RunningService } from '../shared/http-server.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { SpanWriter } from './span-writer.ts';

/** Starts the span writer; returns null when there is no Kafka to read. */
export async function startWriter(
  config: Config,
  logger: Logger,
  clickhouse: () => Promise<ClickHouseClient>,
): Promise<RunningService | null> {
  if (config.kafka === null) {
    logger.info('no KAFKA_BROKERS set: the gateway writes to ClickHouse itself and the writer does not run');
    return null;
  }
  const kafkaConfig = config.kafka;
  const kafka = createKafka(kafkaConfig, logger, 'writer');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, kafkaConfig, [kafkaConfig.spansTopic, kafkaConfig.collectorTopic, kafkaConfig.deadLetterTopic]);
  } finally {
    await admin.disconnect();
  }

  const consumer = kafka.consumer({
    groupId: kafkaConfig.consumerGroup,
    sessionTimeout: kafkaConfig.sessionTimeoutMs,
    heartbeatInterval: Math.min(3_000, Math.floor(kafkaConfig.sessionTimeoutMs / 3)),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await Promise.all([consumer.connect(), producer.connect()]);

  const writer = new SpanWriter({
    consumer,
    producer,
    clickhouse: await clickhouse(),
    kafka: kafkaConfig,
    maxBatchRows: config.writer.maxBatchRows,
    flushIntervalMs: config.writer.flushIntervalMs,
    insertRetryMaxMs: config.writer.insertRetryMaxMs,
    logger,
  });
  await writer.start();

  return {
    port: 0,
    async stop() {
      await writer.stop();
      await Promise.all([consumer.disconnect(), producer.disconnect()]);
    },
  };
}
