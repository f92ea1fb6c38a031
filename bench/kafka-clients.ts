import { Consumer, Producer, ProduceAcks } from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

// kafkajs, which the services use, against @platformatic/kafka on the same
// broker and the same messages: produce the way the gateway does (acks=all,
// idempotent, one send per batch of messages, awaited), then read the topic
// back from the start as one consumer. CPU is this process's own, so the two
// clients run one after the other with nothing else going on.

export interface ClientFigures {
  client: string;
  produceMessagesPerSecond: number;
  produceMegabytesPerSecond: number;
  produceCpuSecondsPerMillionMessages: number;
  consumeMessagesPerSecond: number;
  consumeCpuSecondsPerMillionMessages: number;
}

interface Run {
  messages: number;
  seconds: number;
  cpuSeconds: number;
}

async function measure(work: () => Promise<number>): Promise<Run> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const messages = await work();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { messages, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

function toFigures(client: string, produced: Run, consumed: Run, messageBytes: number): ClientFigures {
  return {
    client,
    produceMessagesPerSecond: produced.messages / produced.seconds,
    produceMegabytesPerSecond: (produced.messages * messageBytes) / produced.seconds / 1e6,
    produceCpuSecondsPerMillionMessages: (produced.cpuSeconds / produced.messages) * 1e6,
    consumeMessagesPerSecond: consumed.messages / consumed.seconds,
    consumeCpuSecondsPerMillionMessages: (consumed.cpuSeconds / consumed.messages) * 1e6,
  };
}

export async function createTopic(brokers: string, topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'bench-admin', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  } finally {
    await admin.disconnect();
  }
}

export async function measureKafkajs(options: {
  brokers: string;
  topic: string;
  partitions: number;
  messages: Buffer[];
  messagesPerSend: number;
}): Promise<ClientFigures> {
  await createTopic(options.brokers, options.topic, options.partitions);
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: [options.brokers], logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
  await producer.connect();
  const produced = await measure(async () => {
    for (let start = 0; start < options.messages.length; start += options.messagesPerSend) {
      const slice = options.messages.slice(start, start + options.messagesPerSend);
      await producer.send({
        topic: options.topic,
        acks: -1,
        messages: slice.map((value, index) => ({ key: `session-${start + index}`, value })),
      });
    }
    return options.messages.length;
  });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${options.topic}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  const consumed = await measure(
    () =>
      new Promise<number>((resolve) => {
        let count = 0;
        void consumer.run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            count += batch.messages.length;
            if (count >= options.messages.length) resolve(count);
          },
        });
      }),
  );
  await consumer.disconnect();
  return toFigures('kafkajs 2.2.4', produced, consumed, options.messages[0]?.length ?? 0);
}

export async function measurePlatformatic(options: {
  brokers: string;
  topic: string;
  partitions: number;
  messages: Buffer[];
  messagesPerSend: number;
  version: string;
}): Promise<ClientFigures> {
  await createTopic(options.brokers, options.topic, options.partitions);
  const producer = new Producer({ clientId: 'bench-platformatic', bootstrapBrokers: [options.brokers], idempotent: true, acks: ProduceAcks.ALL });
  const produced = await measure(async () => {
    for (let start = 0; start < options.messages.length; start += options.messagesPerSend) {
      const slice = options.messages.slice(start, start + options.messagesPerSend);
      await producer.send({
        messages: slice.map((value, index) => ({ topic: options.topic, key: Buffer.from(`session-${start + index}`), value })),
      });
    }
    return options.messages.length;
  });
  await producer.close();

  const consumer = new Consumer({ clientId: 'bench-platformatic', groupId: `${options.topic}-reader`, bootstrapBrokers: [options.brokers] });
  const consumed = await measure(async () => {
    const stream = await consumer.consume({ topics: [options.topic], mode: 'earliest', autocommit: false });
    let count = 0;
    for await (const _message of stream) {
      count += 1;
      if (count >= options.messages.length) break;
    }
    await stream.close();
    return count;
  });
  await consumer.close(true);
  return toFigures(`@platformatic/kafka ${options.version}`, produced, consumed, options.messages[0]?.length ?? 0);
}
