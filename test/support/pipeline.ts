import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { createAccessToken } from '../../services/shared/auth/token-store.ts';
import { loadConfig, type Config } from '../../services/shared/config.ts';
import { startServices, type RunningServices } from '../../services/start-services.ts';

// Starts the real services in this process against the test Kafka broker and
// ClickHouse, each test run with its own topics, consumer group and database
// so that tests never read each other's data.

export interface TestNames {
  database: string;
  spansTopic: string;
  collectorTopic: string;
  deadLetterTopic: string;
  consumerGroup: string;
}

export function uniqueNames(prefix: string): TestNames {
  const suffix = `${prefix}_${randomBytes(4).toString('hex')}`;
  return {
    database: `audit_${suffix}`,
    spansTopic: `spans.${suffix}`,
    collectorTopic: `otlp_spans.${suffix}`,
    deadLetterTopic: `spans.dead-letter.${suffix}`,
    consumerGroup: `writer.${suffix}`,
  };
}

export function pipelineEnv(
  services: { kafkaBrokers: string; clickhouseUrl: string },
  names: TestNames,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    KAFKA_BROKERS: services.kafkaBrokers,
    CLICKHOUSE_URL: services.clickhouseUrl,
    CLICKHOUSE_DATABASE: names.database,
    KAFKA_SPANS_TOPIC: names.spansTopic,
    KAFKA_COLLECTOR_TOPIC: names.collectorTopic,
    KAFKA_DEAD_LETTER_TOPIC: names.deadLetterTopic,
    KAFKA_CONSUMER_GROUP: names.consumerGroup,
    KAFKA_TOPIC_PARTITIONS: '3',
    KAFKA_REPLICATION_FACTOR: '1',
    OTLP_HTTP_PORT: '0',
    API_PORT: '0',
    WRITER_HTTP_PORT: '0',
    WRITER_FLUSH_INTERVAL_MS: '200',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    ...extra,
  };
}

export interface TestPipeline {
  config: Config;
  names: TestNames;
  gatewayUrl: string;
  apiUrl: string;
  clickhouse: ClickHouseClient;
  running: RunningServices;
  /** Bearer token of an agent of the tenant "default". */
  ingestToken: string;
  /** Bearer token of an admin who may read all tenants. */
  adminToken: string;
  /**
   * fetch with credentials: the ingest token for the gateway, the admin
   * token for the API, unless the request sets its own Authorization.
   */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  stop(): Promise<void>;
}

export async function startPipeline(
  services: { kafkaBrokers: string; clickhouseUrl: string },
  prefix: string,
  extra: Record<string, string> = {},
  /** Where the services' log lines go; by default nowhere unless TEST_LOG_LEVEL is set. */
  logDestination?: NodeJS.WritableStream,
): Promise<TestPipeline> {
  const names = uniqueNames(prefix);
  // The evidence signing key lives in DATA_DIR.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `audit-${prefix}-`));
  const config = loadConfig(pipelineEnv(services, names, { DATA_DIR: dataDir, ...extra }));
  const logger = logDestination === undefined ? pino({ level: config.logLevel }) : pino({ level: config.logLevel }, logDestination);
  const running = await startServices(config, logger);
  const clickhouse = createClient({
    url: services.clickhouseUrl,
    database: names.database,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  const { token: ingestToken } = await createAccessToken(clickhouse, { kind: 'ingest', tenant: 'default', createdBy: 'test' });
  const { token: adminToken } = await createAccessToken(clickhouse, { kind: 'investigator', role: 'admin', tenants: ['*'], createdBy: 'test' });
  const gatewayUrl = `http://127.0.0.1:${running.gatewayPort}`;
  const apiUrl = `http://127.0.0.1:${running.apiPort}`;
  return {
    config,
    names,
    gatewayUrl,
    apiUrl,
    clickhouse,
    running,
    ingestToken,
    adminToken,
    fetch(url, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${url.startsWith(gatewayUrl) ? ingestToken : adminToken}`);
      return fetch(url, { ...init, headers });
    },
    async stop() {
      await running.stop();
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${names.database}` });
      await clickhouse.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function testKafka(brokers: string): Kafka {
  return new Kafka({ clientId: 'audit-tests', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

/** Polls until check returns a value other than undefined, or fails with the last observation. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

export async function countRows(clickhouse: ClickHouseClient, sql: string, params: Record<string, unknown> = {}): Promise<number> {
  const result = await clickhouse.query({ query: sql, query_params: params, format: 'JSONEachRow' });
  const rows = await result.json<{ count: string | number }>();
  return Number(rows[0]?.count ?? 0);
}

/** Reads a response body as JSON; tests check its shape with assertions instead of types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(response: Response): Promise<any> {
  return response.json();
}
