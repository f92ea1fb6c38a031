import type { Server } from 'node:http';
import type { Config } from '../shared/config.ts';
import { createKafka, ensureTopics } from '../shared/kafka/client.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createOpsRouter } from '../shared/ops-routes.ts';
import { checkClickHouse, checkKafka, checkMigrations, createReadiness, type ReadinessCheck } from '../shared/readiness.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { listen, closeServer, type RunningService } from '../shared/http-server.ts';
import { RateLimiter } from '../shared/rate-limiter.ts';
import { securityContextFor } from '../shared/security-context.ts';
import { createGatewayApp } from './app.ts';
import { GatewayTelemetry } from './gateway-telemetry.ts';
import { DirectSpanSink, KafkaSpanSink, type SpanSink } from './span-sink.ts';

/** Starts the OTLP/HTTP gateway, writing to Kafka when configured and straight to ClickHouse otherwise. */
export async function startGateway(
  config: Config,
  logger: Logger,
  clickhouse: () => Promise<ClickHouseClient>,
  metrics: Metrics,
): Promise<RunningService> {
  // Tokens are looked up in ClickHouse, so the gateway needs it in Kafka mode too.
  const security = await securityContextFor(config, logger, await clickhouse());
  let sink: SpanSink;
  let readinessChecks: Record<string, ReadinessCheck>;
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
    sink = new KafkaSpanSink({ producer, topic: config.kafka.spansTopic, timeoutMs: config.kafka.produceTimeoutMs, metrics });
    // ClickHouse is left out on purpose, because the spans wait in Kafka while it is down.
    readinessChecks = { kafka: checkKafka(kafka) };
    disconnect = () => producer.disconnect();
  } else {
    const client = await clickhouse();
    sink = new DirectSpanSink({
      client,
      maxQueuedInserts: config.embeddedMaxQueuedInserts,
      metrics,
      sealer: security.sealer,
      isHeld: (tenant, sessionId) => security.heldSessions.isHeld(tenant, sessionId),
      maxStoredAttributeBytes: config.maxStoredAttributeBytes,
    });
    readinessChecks = { clickhouse: checkClickHouse(client), migrations: checkMigrations(client) };
  }

  const telemetry = new GatewayTelemetry(metrics, logger);
  const app = createGatewayApp({
    sink,
    logger,
    maxRequestBodyBytes: config.maxRequestBodyBytes,
    retryAfterSeconds: config.retryAfterSeconds,
    maxConcurrentRequests: config.maxConcurrentRequests,
    telemetry,
    security: {
      authenticator: security.authenticator,
      rateLimiter: new RateLimiter(config.security.ingestRateLimit.perSecond, config.security.ingestRateLimit.burst),
      guard: security.guard,
    },
    opsRoutes: createOpsRouter({ metrics, readiness: createReadiness(readinessChecks) }),
  });
  const server: Server = await listen(app, config.listenHost, config.otlpHttpPort);
  const port = (server.address() as { port: number }).port;
  logger.info({ host: config.listenHost, port, sink: config.kafka ? 'kafka' : 'clickhouse' }, 'gateway listening');

  return {
    port,
    async stop() {
      // Finishes the requests in flight, so none that Kafka acknowledged goes unanswered.
      await closeServer(server, config.shutdownGraceMs, logger);
      await disconnect();
      telemetry.flush();
      logger.info('gateway stopped');
    },
  };
}
