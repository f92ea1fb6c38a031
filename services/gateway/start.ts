import type { Server } from 'node:http';
import type { Config } from '../shared/config.ts';
import { createKafka, ensureTopics } from '../shared/kafka/client.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { listen, closeServer, type RunningService } from '../shared/http-server.ts';
import { createGatewayApp } from './app.ts';
import { DirectSpanSink, KafkaSpanSink, type SpanSink } from './span-sink.ts';

const maxConcurrentRequests = 256;

/** Starts the OTLP/HTTP gateway, writing to Kafka when configured and straight to ClickHouse otherwise. */
export async function startGateway(
  config: Config,
  logger: Logger,
  clickhouse: () => Promise<ClickHouseClient>,
): Promise<RunningService> {
  let sink: SpanSink;
  let disconnect = async () => {};
  if (config.kafka !== null) {
    const kafka = createKafka(config.kafka, logger, 'gateway');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await ensureTopics(admin, config.kafka, [config.kafka.spansTopic]);
    } finally {
      await admin.disconnect();
    }
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      retry: { retries: 5, maxRetryTime: config.kafka.produceTimeoutMs },
    });
    await producer.connect();
    sink = new KafkaSpanSink(producer, config.kafka.spansTopic, config.kafka.produceTimeoutMs, logger);
    disconnect = () => producer.disconnect();
  } else {
    sink = new DirectSpanSink(await clickhouse(), logger);
  }

  const app = createGatewayApp({
    sink,
    logger,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    maxConcurrentRequests,
  });
  const server: Server = await listen(app, config.listenHost, config.otlpHttpPort);
  const port = (server.address() as { port: number }).port;
  logger.info({ host: config.listenHost, port, sink: config.kafka ? 'kafka' : 'clickhouse' }, 'gateway listening');

  return {
    port,
    async stop() {
      // Finishes the requests in flight, so none that Kafka acknowledged goes unanswered.
      await closeServer(server);
      await disconnect();
      logger.info('gateway stopped');
    },
  };
}
