/**
 * Kafka and ClickHouse in containers through testcontainers, for machines
 * where a Docker engine responds. testcontainers is imported lazily so that the
 * native path never loads it.
 *
 * NOTE: written for machines with Docker but never run on the machines where
 * this file was written, which have no Docker engine.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_VERSION, SINGLE_NODE_BROKER_SETTINGS, createClusterId, waitForKafka } from './kafka-broker.ts';

/** Same release line as the engine in the chdb package (26.7). */
export const CLICKHOUSE_IMAGE = 'clickhouse/clickhouse-server:26.7';
export const KAFKA_IMAGE = `apache/kafka:${KAFKA_VERSION}`;

export interface StartedService {
  stop(): Promise<void>;
}

const KAFKA_CLIENT_PORT = 9092;
const CLICKHOUSE_HTTP_PORT = 8123;
const STARTUP_TIMEOUT_MS = 120_000;

/**
 * Returns whether a Docker engine responds, within 5 s and without printing
 * anything. Without DOCKER_HOST, a testcontainers configuration file
 * or a known socket file there is nothing to ask, and testcontainers is not
 * even loaded.
 */
export async function isDockerAvailable(): Promise<boolean> {
  if (!dockerMayBeConfigured()) return false;
  const { getContainerRuntimeClient } = await import('testcontainers');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolveFalse) => {
    timer = setTimeout(() => resolveFalse(false), 5_000);
  });
  const answered = getContainerRuntimeClient().then(() => true, () => false);
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function dockerMayBeConfigured(): boolean {
  if (process.env.DOCKER_HOST || process.platform === 'win32') return true;
  const candidates = [
    join(homedir(), '.testcontainers.properties'),
    '/var/run/docker.sock',
    join(homedir(), '.docker/run/docker.sock'),
    join(homedir(), '.docker/desktop/docker.sock'),
  ];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, 'docker.sock'));
  return candidates.some((path) => existsSync(path));
}

/**
 * Starts apache/kafka in KRaft mode (broker and controller in one node) with
 * the same broker settings as the native broker.
 */
export async function startKafkaContainer(): Promise<StartedService & { brokers: string }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const listenersFile = '/tmp/advertised-listeners.env';
  const waitingMessage = 'waiting for advertised listeners';

  const environment: Record<string, string> = {
    CLUSTER_ID: createClusterId(),
    KAFKA_NODE_ID: '1',
    KAFKA_PROCESS_ROLES: 'broker,controller',
    KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
    // Clients use PLAINTEXT through the mapped port, and the broker talks to
    // itself over BROKER, which must stay reachable inside the container.
    KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${KAFKA_CLIENT_PORT},CONTROLLER://0.0.0.0:9093,BROKER://0.0.0.0:9094`,
    KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,BROKER:PLAINTEXT',
    KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
    KAFKA_INTER_BROKER_LISTENER_NAME: 'BROKER',
  };
  for (const [key, value] of Object.entries(SINGLE_NODE_BROKER_SETTINGS)) {
    environment[`KAFKA_${key.toUpperCase().replaceAll('.', '_')}`] = value;
  }

  // The advertised client address contains the host port, which Docker picks
  // only when the container starts. So the container first waits for a file
  // with that address and then runs the image's own start script.
  const container = await new GenericContainer(KAFKA_IMAGE)
    .withExposedPorts(KAFKA_CLIENT_PORT)
    .withEnvironment(environment)
    .withCommand(['sh', '-c',
      `echo '${waitingMessage}'; while [ ! -f ${listenersFile} ]; do sleep 0.1; done; . ${listenersFile}; exec /etc/kafka/docker/run`])
    .withWaitStrategy(Wait.forLogMessage(waitingMessage))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();

  try {
    const brokers = `${container.getHost()}:${container.getMappedPort(KAFKA_CLIENT_PORT)}`;
    await container.copyContentToContainer([{
      content: `export KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://${brokers},BROKER://localhost:9094\n`,
      target: listenersFile,
    }]);
    await waitForKafka(brokers, STARTUP_TIMEOUT_MS);
    return { brokers, stop: async () => void (await container.stop()) };
  } catch (error) {
    await container.stop();
    throw error;
  }
}

/** Starts clickhouse-server, whose `default` user has no password. */
export async function startClickHouseContainer(): Promise<StartedService & { url: string }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(CLICKHOUSE_IMAGE)
    .withExposedPorts(CLICKHOUSE_HTTP_PORT)
    // Without this the image's entrypoint denies network access to `default`
    // because no password is set.
    .withEnvironment({ CLICKHOUSE_SKIP_USER_SETUP: '1' })
    .withUlimits({ nofile: { soft: 262_144, hard: 262_144 } })
    .withWaitStrategy(Wait.forHttp('/ping', CLICKHOUSE_HTTP_PORT).forStatusCode(200))
    .withStartupTimeout(STARTUP_TIMEOUT_MS)
    .start();
  const url = `http://${container.getHost()}:${container.getMappedPort(CLICKHOUSE_HTTP_PORT)}`;
  return { url, stop: async () => void (await container.stop()) };
}
