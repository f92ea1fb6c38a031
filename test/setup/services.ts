/**
 * Vitest global setup for the integration project: provides a real Kafka
 * broker and a real ClickHouse HTTP endpoint to the tests, as the injected
 * values `kafkaBrokers` and `clickhouseUrl`.
 *
 * Each service comes from the first source that applies:
 *   1. KAFKA_BROKERS / CLICKHOUSE_URL, when set: an existing service;
 *   2. containers, when a Docker engine responds;
 *   3. a native broker (Kafka jars from Maven Central, run with Java) and the
 *      ClickHouse engine from the chdb package serving HTTP.
 */
import type { TestProject } from 'vitest/node';
import { startClickHouseHttp } from '../infra/clickhouse-http.ts';
import { isDockerAvailable, startClickHouseContainer, startKafkaContainer, CLICKHOUSE_IMAGE, KAFKA_IMAGE } from '../infra/containers.ts';
import { KAFKA_VERSION, startKafkaBroker } from '../infra/kafka-broker.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kafka bootstrap servers, comma-separated `host:port`. */
    kafkaBrokers: string;
    /** ClickHouse HTTP interface URL, for example `http://127.0.0.1:8123`. */
    clickhouseUrl: string;
  }
}

interface ServiceHandle {
  address: string;
  /** How the service was obtained, for the start-up log line. */
  source: string;
  stop(): Promise<void>;
}

type ServiceMode = 'existing' | 'container' | 'native';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const startedAt = performance.now();
  const kafkaFromEnv = process.env.KAFKA_BROKERS;
  const clickhouseFromEnv = process.env.CLICKHOUSE_URL;
  // Asking Docker is only needed when one of the services must be started.
  const startMode: ServiceMode = kafkaFromEnv && clickhouseFromEnv
    ? 'existing'
    : (await isDockerAvailable()) ? 'container' : 'native';

  const results = await Promise.allSettled([
    kafkaFromEnv ? existingService(kafkaFromEnv, 'KAFKA_BROKERS') : startKafka(startMode),
    clickhouseFromEnv ? existingService(clickhouseFromEnv, 'CLICKHOUSE_URL') : startClickHouse(startMode),
  ]);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.allSettled(started.map((service) => service.stop()));
    throw failure.reason;
  }
  const [kafka, clickhouse] = started as [ServiceHandle, ServiceHandle];

  project.provide('kafkaBrokers', kafka.address);
  project.provide('clickhouseUrl', clickhouse.address);
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.info(`[test services] Kafka: ${kafka.source} at ${kafka.address}; `
    + `ClickHouse: ${clickhouse.source} at ${clickhouse.address}; ready in ${seconds} s`);

  return async () => {
    await Promise.all([kafka.stop(), clickhouse.stop()]);
  };
}

async function existingService(address: string, variable: string): Promise<ServiceHandle> {
  return { address, source: `existing service from ${variable}`, stop: async () => undefined };
}

async function startKafka(mode: ServiceMode): Promise<ServiceHandle> {
  if (mode === 'container') {
    const container = await startKafkaContainer();
    return { address: container.brokers, source: `container ${KAFKA_IMAGE}`, stop: container.stop };
  }
  const broker = await startKafkaBroker();
  return { address: broker.brokers, source: `native broker ${KAFKA_VERSION} (log: ${broker.logFile})`, stop: broker.stop };
}

async function startClickHouse(mode: ServiceMode): Promise<ServiceHandle> {
  if (mode === 'container') {
    const container = await startClickHouseContainer();
    return { address: container.url, source: `container ${CLICKHOUSE_IMAGE}`, stop: container.stop };
  }
  const server = await startClickHouseHttp();
  return { address: server.url, source: `chdb engine over HTTP (log: ${server.logFile})`, stop: server.stop };
}
