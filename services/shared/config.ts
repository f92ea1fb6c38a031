import path from 'node:path';
import { z } from 'zod';
import { securityEnvShape, toSecurityConfig, type SecurityConfig } from './security-config.ts';

// Every setting the services read from the environment, parsed once at start.
// Nothing else in the code base reads process.env.

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

const serviceNames = ['gateway', 'writer', 'api'] as const;
export type ServiceName = (typeof serviceNames)[number];

export const ConfigSchema = z
  .object({
    KAFKA_BROKERS: optionalText,
    KAFKA_CLIENT_ID: z.string().default('agent-audit'),
    KAFKA_SPANS_TOPIC: z.string().min(1).default('agent-audit.spans'),
    KAFKA_COLLECTOR_TOPIC: z.string().default('otlp_spans'),
    KAFKA_COLLECTOR_ENCODING: z.enum(['auto', 'otlp_proto', 'otlp_json']).default('auto'),
    KAFKA_DEAD_LETTER_TOPIC: z.string().min(1).default('agent-audit.spans.dead-letter'),
    KAFKA_CONSUMER_GROUP: z.string().min(1).default('agent-audit-writer'),
    KAFKA_TOPIC_PARTITIONS: positiveInt.default(6),
    KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(-1).default(-1),
    KAFKA_PRODUCE_TIMEOUT_MS: positiveInt.default(10_000),
    KAFKA_SESSION_TIMEOUT_MS: positiveInt.default(30_000),
    CLICKHOUSE_URL: optionalText,
    CLICKHOUSE_USER: z.string().default('default'),
    CLICKHOUSE_PASSWORD: z.string().default(''),
    CLICKHOUSE_DATABASE: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, underscore)')
      .default('agent_audit'),
    DATA_DIR: z.string().default('./data'),
    LISTEN_HOST: z.string().default('127.0.0.1'),
    OTLP_HTTP_PORT: port.default(4318),
    API_PORT: port.default(8080),
    WRITER_HTTP_PORT: port.default(9464),
    SERVICES: z.string().default(serviceNames.join(',')),
    MAX_REQUEST_BODY_BYTES: positiveInt.default(64 * 1024 * 1024),
    MAX_STORED_ATTRIBUTE_BYTES: positiveInt.default(65_536),
    RETRY_AFTER_SECONDS: positiveInt.default(5),
    SHUTDOWN_GRACE_MS: positiveInt.default(25_000),
    GATEWAY_MAX_CONCURRENT_REQUESTS: positiveInt.default(256),
    EMBEDDED_MAX_QUEUED_INSERTS: positiveInt.default(32),
    WRITER_MAX_BATCH_ROWS: positiveInt.default(10_000),
    WRITER_FLUSH_INTERVAL_MS: positiveInt.default(1_000),
    WRITER_INSERT_RETRY_MAX_MS: positiveInt.default(30_000),
    RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ...securityEnvShape,
    POLICY_FILE: optionalText,
  })
  .superRefine((env, context) => {
    for (const name of env.SERVICES.split(',').map((part) => part.trim())) {
      if (!(serviceNames as readonly string[]).includes(name)) {
        context.addIssue({
          code: 'custom',
          path: ['SERVICES'],
          message: `unknown service "${name}"; expected a comma-separated list of ${serviceNames.join(', ')}`,
        });
      }
    }
    if (env.KAFKA_COLLECTOR_TOPIC !== '' && env.KAFKA_COLLECTOR_TOPIC === env.KAFKA_SPANS_TOPIC) {
      context.addIssue({
        code: 'custom',
        path: ['KAFKA_COLLECTOR_TOPIC'],
        message: 'must differ from KAFKA_SPANS_TOPIC',
      });
    }
  });

export interface Config {
  kafka: {
    brokers: string[];
    clientId: string;
    spansTopic: string;
    /** Empty when the writer should not read a Collector-fed topic. */
    collectorTopic: string;
    collectorEncoding: 'auto' | 'otlp_proto' | 'otlp_json';
    deadLetterTopic: string;
    consumerGroup: string;
    topicPartitions: number;
    /** -1 leaves the replication factor to the broker's default. */
    replicationFactor: number;
    produceTimeoutMs: number;
    /** How long the group waits for a silent writer before giving its partitions to another. */
    sessionTimeoutMs: number;
  } | null;
  clickhouse: {
    /** Null selects the embedded engine under dataDir. */
    url: string | null;
    user: string;
    password: string;
    database: string;
  };
  dataDir: string;
  listenHost: string;
  otlpHttpPort: number;
  apiPort: number;
  /** Port of the writer's health and metrics endpoints. */
  writerHttpPort: number;
  services: Set<ServiceName>;
  maxRequestBodyBytes: number;
  /** Maximum stored length of an attribute value or log body, in UTF-8 bytes; longer ones are cut and marked. */
  maxStoredAttributeBytes: number;
  retryAfterSeconds: number;
  /** Maximum time a stopping service waits for HTTP requests in flight before it cuts their connections. */
  shutdownGraceMs: number;
  /** Requests the gateway handles at once; more get 429. */
  maxConcurrentRequests: number;
  /** Inserts the embedded-mode gateway queues for ClickHouse; more get 429. */
  embeddedMaxQueuedInserts: number;
  writer: {
    maxBatchRows: number;
    flushIntervalMs: number;
    insertRetryMaxMs: number;
  };
  /** 0 keeps data forever. */
  retentionDays: number;
  logLevel: string;
  security: SecurityConfig;
  /** YAML or JSON policy for findings; null applies the default policy. */
  policyFile: string | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment into a Config, reporting every invalid variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const values = parsed.data;
  const brokers = values.KAFKA_BROKERS?.split(',').map((broker) => broker.trim()).filter(Boolean) ?? [];

  return {
    kafka:
      brokers.length === 0
        ? null
        : {
            brokers,
            clientId: values.KAFKA_CLIENT_ID,
            spansTopic: values.KAFKA_SPANS_TOPIC,
            collectorTopic: values.KAFKA_COLLECTOR_TOPIC,
            collectorEncoding: values.KAFKA_COLLECTOR_ENCODING,
            deadLetterTopic: values.KAFKA_DEAD_LETTER_TOPIC,
            consumerGroup: values.KAFKA_CONSUMER_GROUP,
            topicPartitions: values.KAFKA_TOPIC_PARTITIONS,
            replicationFactor: values.KAFKA_REPLICATION_FACTOR,
            produceTimeoutMs: values.KAFKA_PRODUCE_TIMEOUT_MS,
            sessionTimeoutMs: values.KAFKA_SESSION_TIMEOUT_MS,
          },
    clickhouse: {
      url: values.CLICKHOUSE_URL ?? null,
      user: values.CLICKHOUSE_USER,
      password: values.CLICKHOUSE_PASSWORD,
      database: values.CLICKHOUSE_DATABASE,
    },
    dataDir: path.resolve(values.DATA_DIR),
    listenHost: values.LISTEN_HOST,
    otlpHttpPort: values.OTLP_HTTP_PORT,
    apiPort: values.API_PORT,
    writerHttpPort: values.WRITER_HTTP_PORT,
    services: new Set(values.SERVICES.split(',').map((name) => name.trim() as ServiceName)),
    maxRequestBodyBytes: values.MAX_REQUEST_BODY_BYTES,
    maxStoredAttributeBytes: values.MAX_STORED_ATTRIBUTE_BYTES,
    retryAfterSeconds: values.RETRY_AFTER_SECONDS,
    shutdownGraceMs: values.SHUTDOWN_GRACE_MS,
    maxConcurrentRequests: values.GATEWAY_MAX_CONCURRENT_REQUESTS,
    embeddedMaxQueuedInserts: values.EMBEDDED_MAX_QUEUED_INSERTS,
    writer: {
      maxBatchRows: values.WRITER_MAX_BATCH_ROWS,
      flushIntervalMs: values.WRITER_FLUSH_INTERVAL_MS,
      insertRetryMaxMs: values.WRITER_INSERT_RETRY_MAX_MS,
    },
    retentionDays: values.RETENTION_DAYS,
    logLevel: values.LOG_LEVEL,
    security: toSecurityConfig(values, path.resolve(values.DATA_DIR)),
    policyFile: values.POLICY_FILE === undefined ? null : path.resolve(values.POLICY_FILE),
  };
}
