import express from 'express';
import type { Config } from '../shared/config.ts';
import { createKafka, ensureTopics } from '../shared/kafka/client.ts';
import type { Logger } from '../shared/logger.ts';
import { closeServer, listen, type RunningService } from '../shared/http-server.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createOpsRouter } from '../shared/ops-routes.ts';
import { checkClickHouse, checkKafka, checkMigrations, createReadiness } from '../shared/readiness.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { startConsumerLagReporter } from './consumer-lag.ts';
import { securityContextFor } from '../shared/security-context.ts';
import { SpanWriter } from './span-writer.ts';

const consumerLagIntervalMs = 5_000;

/**
 * Starts the span writer and its HTTP port for /healthz, /readyz and
 * /metrics; returns null when there is no Kafka to read.
 */
export async function startWriter(
  config: Config,
  logger: Logger,
  clickhouse: () => Promise<ClickHouseClient>,
  metrics: Metrics,
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

  const client = await clickhouse();
  const security = await securityContextFor(config, logger, client);
  const writer = new SpanWriter({
    consumer,
    producer,
    clickhouse: client,
    kafka: kafkaConfig,
    maxBatchRows: config.writer.maxBatchRows,
    flushIntervalMs: config.writer.flushIntervalMs,
    insertRetryMaxMs: config.writer.insertRetryMaxMs,
    logger,
    metrics,
    sealer: security.sealer,
    isHeld: (tenant, sessionId) => security.heldSessions.isHeld(tenant, sessionId),
    guard: security.guard,
    tenants: { defaultTenant: config.security.tenants.defaultTenant, collectorTenant: config.security.tenants.collectorTenant },
    maxStoredAttributeBytes: config.maxStoredAttributeBytes,
  });
  await writer.start();

  // Failed lag queries end at once, and the next tick queries again.
  const lagAdmin = kafka.admin({ retry: { retries: 0 } });
  await lagAdmin.connect();
  const lagReporter = startConsumerLagReporter({
    admin: lagAdmin,
    groupId: kafkaConfig.consumerGroup,
    topics: writer.topics,
    metrics,
    logger,
    intervalMs: consumerLagIntervalMs,
  });

  const readiness = createReadiness({ kafka: checkKafka(kafka), clickhouse: checkClickHouse(client), migrations: checkMigrations(client) });
  const app = express();
  app.disable('x-powered-by');
  app.use(createOpsRouter({ metrics, readiness }));
  const server = await listen(app, config.listenHost, config.writerHttpPort);
  const port = (server.address() as { port: number }).port;
  logger.info({ host: config.listenHost, port }, 'writer HTTP listening');

  return {
    port,
    async stop() {
      lagReporter.stop();
      try {
        await writer.stop();
      } finally {
        await Promise.all([consumer.disconnect(), producer.disconnect(), lagAdmin.disconnect()]);
        await closeServer(server, config.shutdownGraceMs, logger);
      }
    },
  };
}
