import { Kafka, logLevel, type Admin, type LogEntry } from 'kafkajs';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

type KafkaConfig = NonNullable<Config['kafka']>;

const pinoLevelByKafkaLevel: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Creates a kafkajs client whose log lines go through the service logger as structured fields. */
export function createKafka(config: KafkaConfig, logger: Logger, clientIdSuffix: string): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: `${config.clientId}-${clientIdSuffix}`,
    brokers: config.brokers,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, namespace, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
        kafkaLogger[pinoLevelByKafkaLevel[level] ?? 'info']({ namespace, ...fields }, message);
      },
  });
}

/** Creates the topics the services use when missing; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, config: KafkaConfig, topics: string[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((topic) => topic !== '' && !existing.has(topic));
  if (missing.length === 0) return;
  // kafkajs' waitForLeaders gives up with UNKNOWN_TOPIC_OR_PARTITION when the
  // broker has not listed a new topic yet, so this creates without waiting
  // and polls the metadata until every partition has a leader.
  await admin.createTopics({
    waitForLeaders: false,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: config.topicPartitions,
      replicationFactor: config.replicationFactor,
    })),
  });
  await waitForLeaders(admin, missing);
}

async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    try {
      const metadata = await admin.fetchTopicMetadata({ topics });
      const ready = metadata.topics.every(
        (topic) => topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
      );
      if (ready) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`topics ${topics.join(', ')} have no partition leaders after ${timeoutMs} ms`, { cause: lastError });
}
