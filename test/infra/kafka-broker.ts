import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { runToExit, sleep, stopChild, tailOf } from './child-process.ts';
import { findFreePorts } from './free-port.ts';

/**
 * Kafka release used by the native broker and by the container image.
 * kafkajs 2.2.4 passes the checks in test/integration/infra.test.ts against it.
 */
export const KAFKA_VERSION = '4.4.0';

/**
 * Broker settings that a single-node test cluster needs, shared with the
 * container in containers.ts so that both paths behave alike.
 */
export const SINGLE_NODE_BROKER_SETTINGS: Readonly<Record<string, string>> = {
  // Internal topics default to three replicas, which one node cannot host.
  'offsets.topic.replication.factor': '1',
  'transaction.state.log.replication.factor': '1',
  'transaction.state.log.min.isr': '1',
  'share.coordinator.state.topic.replication.factor': '1',
  'share.coordinator.state.topic.min.isr': '1',
  // The default of 50 partitions makes the first consumer group join wait for
  // 50 partition leaders.
  'offsets.topic.num.partitions': '1',
  // The default 3 s delay would slow every test that starts a consumer group.
  'group.initial.rebalance.delay.ms': '0',
  // Tests create their topics with the admin client, so a typo fails loudly.
  'auto.create.topics.enable': 'false',
};

export interface KafkaBrokerOptions {
  /** Kafka release, as published in org.apache.kafka:kafka_2.13 on Maven Central. */
  version?: string;
  /** Folder that keeps downloaded jars between runs, in `<version>/libs`. */
  cacheDir?: string;
  /** File for the broker's own log, truncated at start. */
  logFile?: string;
  /** Time allowed for the broker to respond to an admin request after launch, in ms. */
  startTimeoutMs?: number;
}

export interface KafkaBroker {
  /** Bootstrap address for clients, as `host:port`. */
  brokers: string;
  logFile: string;
  /** Process id of the broker JVM now running, for CPU and memory figures. */
  readonly pid: number;
  /**
   * Stops the broker process with SIGTERM and keeps its data and ports, so
   * that a fault test can take Kafka away and bring it back with resume().
   */
  halt(): Promise<void>;
  /** Starts the broker again on the same ports and data after halt(), and resolves once it responds. */
  resume(): Promise<void>;
  /** Stops the broker and deletes its data. Safe to call twice. */
  stop(): Promise<void>;
}

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pomFile = join(repositoryRoot, 'test/infra/kafka/pom.xml');
const stopGraceMs = 10_000;
// Writing the class data sharing archive at exit took 4 to 17 s on a 2-core
// machine, the longer under load. Vitest allows teardown 60 s.
const archiveStopGraceMs = 45_000;

/**
 * Starts a single-node Kafka broker (KRaft, broker and controller in one JVM)
 * on 127.0.0.1 with fresh storage, and resolves once it responds to an admin
 * request. Downloads the broker jars with Maven on first use.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const version = options.version ?? KAFKA_VERSION;
  const cacheDir = options.cacheDir ?? join(repositoryRoot, '.cache/kafka');
  const logFile = options.logFile ?? join(repositoryRoot, '.cache/logs/kafka-broker.log');
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;

  const libsDir = await ensureKafkaJars(version, cacheDir);
  const workDir = await mkdtemp(join(tmpdir(), 'kafka-broker-'));
  const [brokerPort, controllerPort] = (await findFreePorts(2)) as [number, number];
  const brokers = `127.0.0.1:${brokerPort}`;
  const configFile = join(workDir, 'server.properties');
  const log4jFile = join(workDir, 'log4j2.properties');
  await writeFile(configFile, brokerProperties(workDir, brokerPort, controllerPort));
  await writeFile(log4jFile, LOG4J_CONSOLE_CONFIG);

  await mkdir(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'w');
  let broker: ChildProcess | undefined;
  const classPath = join(libsDir, '*');
  const jvmOptions = [`-Dlog4j2.configurationFile=${log4jFile}`, '-Djava.awt.headless=true'];
  const brokerArchive = join(cacheDir, version, 'kafka-broker.jsa');
  const formatArchive = join(cacheDir, version, 'storage-format.jsa');
  const spawnBroker = (fd: number): ChildProcess =>
    spawnJava([...jvmOptions, ...classDataSharingOptions(brokerArchive), '-Xms256m', '-Xmx1g',
      '-cp', classPath, 'kafka.Kafka', configFile], fd);
  try {

    // The formatter runs for about a second, so C1-only compilation saves a
    // good part of its JVM start-up.
    const formatExit = await runToExit(
      spawnJava([...jvmOptions, ...classDataSharingOptions(formatArchive), '-XX:TieredStopAtLevel=1',
        '-cp', classPath, 'kafka.tools.StorageTool',
        'format', '--standalone', '--cluster-id', createClusterId(), '--config', configFile], logFd),
    ).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') {
        throw new Error('java not found: install a Java 17+ runtime, or set JAVA_HOME to one', { cause: error });
      }
      throw error;
    });
    if (formatExit !== 0) {
      throw new Error(`Kafka storage format failed with exit code ${formatExit}. Output in ${logFile} ends with:\n${await tailOf(logFile)}`);
    }
    await publishArchive(formatArchive, true);

    broker = spawnBroker(logFd);
    await waitForBroker(brokers, broker, startTimeoutMs, logFile);
  } catch (error) {
    if (broker) await stopBroker(broker);
    await rm(workDir, { recursive: true, force: true });
    throw error;
  } finally {
    // Each child has its own copy of the descriptor.
    closeSync(logFd);
  }

  let running = broker;
  const killOnExit = (): void => {
    running.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  return {
    brokers,
    logFile,
    get pid() {
      return running.pid ?? -1;
    },
    async halt() {
      await stopBroker(running);
    },
    async resume() {
      if (running.exitCode === null && running.signalCode === null) throw new Error('Kafka broker is still running; call halt() first');
      const appendFd = openSync(logFile, 'a');
      try {
        running = spawnBroker(appendFd);
      } finally {
        closeSync(appendFd);
      }
      await waitForBroker(brokers, running, startTimeoutMs, logFile);
    },
    stop() {
      stopped ??= (async () => {
        process.off('exit', killOnExit);
        await stopBroker(running);
        // A JVM ended by SIGKILL may have left a partial archive.
        await publishArchive(brokerArchive, running.signalCode !== 'SIGKILL');
        await rm(workDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/**
 * Waits until a broker at `brokers` responds to a cluster description request,
 * and throws after `timeoutMs`.
 */
export async function waitForKafka(brokers: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await kafkaResponds(brokers)) return;
    await sleep(250);
  }
  throw new Error(`Kafka broker at ${brokers} timed out: no response within ${timeoutMs} ms`);
}

/**
 * Returns a random KRaft cluster id: 16 random bytes in unpadded base64url,
 * the form Kafka's own Uuid class prints.
 */
export function createClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // The storage tool's argument parser reads a leading '-' as an option.
    if (!id.startsWith('-')) return id;
  }
}

/**
 * Returns `<cacheDir>/<version>/libs` with the broker's jars, running Maven
 * first when that folder does not exist yet.
 */
async function ensureKafkaJars(version: string, cacheDir: string): Promise<string> {
  const libsDir = join(cacheDir, version, 'libs');
  if (existsSync(join(libsDir, `kafka_2.13-${version}.jar`))) return libsDir;

  // Maven fills a private folder that is renamed at the end, so a run that was
  // interrupted, or a second process downloading at the same time, never
  // leaves a half-filled libs folder behind.
  const partialDir = `${libsDir}.partial-${process.pid}`;
  await rm(partialDir, { recursive: true, force: true });
  await mkdir(dirname(libsDir), { recursive: true });
  console.info(`[kafka-broker] downloading Kafka ${version} jars with Maven into ${libsDir}`);

  const mavenArgs = ['-q', '-B', '-f', pomFile, 'dependency:copy-dependencies',
    `-Dkafka.version=${version}`, `-DoutputDirectory=${partialDir}`];
  const maven = spawn('mvn', mavenArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  maven.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  maven.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exitCode = await runToExit(maven).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new Error('mvn not found on PATH: install Maven 3.6 or later and a Java 17+ JDK to run the Kafka broker', { cause: error });
    }
    throw error;
  });
  if (exitCode !== 0) {
    await rm(partialDir, { recursive: true, force: true });
    throw new Error(`Maven failed to resolve org.apache.kafka:kafka_2.13:${version} (exit code ${exitCode}). `
      + `Check that Maven Central is reachable. Maven output:\n${lastLines(output, 30)}`);
  }

  try {
    await rename(partialDir, libsDir);
  } catch (error) {
    // Another process finished first and its folder is as good as ours.
    if (!existsSync(libsDir)) throw error;
    await rm(partialDir, { recursive: true, force: true });
  }
  return libsDir;
}

function brokerProperties(workDir: string, brokerPort: number, controllerPort: number): string {
  const settings: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    'listeners': `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${brokerPort}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    // A dynamic quorum, which `format --standalone` seeds with this one node.
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    'log.dirs': join(workDir, 'data'),
    ...SINGLE_NODE_BROKER_SETTINGS,
  };
  return Object.entries(settings).map(([key, value]) => `${key}=${value}\n`).join('');
}

// The broker writes its log to stdout, which the caller sends to a file.
const LOG4J_CONSOLE_CONFIG = `rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = stdout
appender.stdout.type = Console
appender.stdout.name = stdout
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
`;

/**
 * Returns JVM options that load classes from the class data sharing archive
 * `archive`, or, while there is none, make the JVM write one when it exits.
 * On a 2-core machine the archive saved about 0.7 s of the storage formatter's
 * 1.7 s and 1.5 s of the broker's 7.5 s start (JDK 17, Kafka 4.4.0).
 * NOTE: after a JDK change the JVM rejects the archive with a warning in the
 * broker log and starts without it. Deleting .cache/kafka rebuilds it.
 */
function classDataSharingOptions(archive: string): string[] {
  if (existsSync(archive)) return [`-XX:SharedArchiveFile=${archive}`];
  // CI runs in a fresh clone, so it would pay for writing an archive that no
  // later run reads.
  if (process.env.CI) return [];
  return [`${ARCHIVE_AT_EXIT_OPTION}${partialArchive(archive)}`];
}

const ARCHIVE_AT_EXIT_OPTION = '-XX:ArchiveClassesAtExit=';

/** Moves an archive written by this process into place, or deletes it when `complete` is false. */
async function publishArchive(archive: string, complete: boolean): Promise<void> {
  const partial = partialArchive(archive);
  if (!existsSync(partial)) return;
  if (complete && !existsSync(archive)) {
    await rename(partial, archive);
  } else {
    await rm(partial, { force: true });
  }
}

function partialArchive(archive: string): string {
  return `${archive}.partial-${process.pid}`;
}

function spawnJava(args: string[], logFd: number): ChildProcess {
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  return spawn(java, args, { stdio: ['ignore', logFd, logFd] });
}

async function waitForBroker(brokers: string, broker: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const exited = runToExit(broker);
  let exitCode: number | undefined;
  exited.then((code) => (exitCode = code), () => (exitCode = -1));

  while (Date.now() < deadline) {
    await sleep(250);
    if (exitCode !== undefined) {
      throw new Error(`Kafka broker exited with code ${exitCode} before it accepted requests. Log ${logFile} ends with:\n${await tailOf(logFile)}`);
    }
    if (await kafkaResponds(brokers)) return;
  }
  throw new Error(`Kafka broker at ${brokers} timed out: no response within ${timeoutMs} ms. Log ${logFile} ends with:\n${await tailOf(logFile)}`);
}

async function kafkaResponds(brokers: string): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'test-infra-probe',
    brokers: [brokers],
    connectionTimeout: 1_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Stops a broker process, giving one that writes its class-data archive at exit longer. */
function stopBroker(child: ChildProcess): Promise<void> {
  const graceMs = child.spawnargs.some((arg) => arg.startsWith(ARCHIVE_AT_EXIT_OPTION)) ? archiveStopGraceMs : stopGraceMs;
  return stopChild(child, graceMs);
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
