import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENVELOPE_VERSION } from '../../schemas/kafka-envelope.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { tracesData } from '../support/otlp-builders.ts';
import { describeCounts, expectAcknowledgedSpansStoredOnce } from '../support/exactly-once.ts';
import { startPipeline, testKafka, waitFor, type TestPipeline } from '../support/pipeline.ts';
import { buildLoadSession, emptyLoadStats, spanKey } from '../support/span-load.ts';

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'deadletter',
    { SERVICES: 'writer' },
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

interface DeadLetter {
  value: string;
  headers: Record<string, string>;
}

const undecodableProtobuf = {
  value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
  headers: {
    'audit.envelope-version': ENVELOPE_VERSION,
    'content-type': 'application/x-protobuf',
    'audit.session-id': 'poison',
    'audit.received-at': '1',
  },
};
const notOtlpJson = { value: Buffer.from('{"resourceSpans": "nope"}') };

describe('dead-letter topic', () => {
  it('moves poison messages aside and stores every other span once', async () => {
    const kafka = testKafka(inject('kafkaBrokers'));
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const stats = emptyLoadStats();
    const sessionCount = 60;
    const poisonEvery = 10;
    let poisonSent = 0;
    try {
      for (let index = 0; index < sessionCount; index += 1) {
        if (index % poisonEvery === 0) {
          const poison = poisonSent % 2 === 0 ? undecodableProtobuf : notOtlpJson;
          await producer.send({ topic: pipeline.names.spansTopic, acks: -1, messages: [{ key: `poison-${index}`, ...poison }] });
          poisonSent += 1;
        }
        const spans = buildLoadSession(5, 'dead-letter');
        stats.sessionsStarted += 1;
        stats.spansSent += spans.length;
        // A resolved send is Kafka's acknowledgement, as for the gateway.
        await producer.send({
          topic: pipeline.names.spansTopic,
          acks: -1,
          messages: [{ key: spans[0]!.traceId, value: Buffer.from(encodeTracesProtobuf(tracesData(spans))) }],
        });
        stats.spansAcknowledged += spans.length;
        for (const item of spans) stats.acknowledgedKeys.add(spanKey(item.traceId, item.spanId));
      }
    } finally {
      await producer.disconnect();
    }

    const consumer = kafka.consumer({ groupId: `dead-letter-reader-${pipeline.names.consumerGroup}` });
    const received: DeadLetter[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: pipeline.names.deadLetterTopic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [key, value] of Object.entries(message.headers ?? {})) headers[key] = String(value);
        received.push({ value: message.value?.toString('hex') ?? '', headers });
      },
    });
    try {
      await waitFor(async () => (received.length >= poisonSent ? true : undefined), { what: `${poisonSent} dead letters` });
    } finally {
      await consumer.disconnect();
    }
    const stored = await expectAcknowledgedSpansStoredOnce(pipeline.clickhouse, stats);
    console.info(`${describeCounts('poison messages', stats, stored)} poison=${poisonSent} deadLetters=${received.length}`);

    expect(received).toHaveLength(poisonSent);
    // Offsets count per partition, so a message is identified by both.
    const offsets = new Set(
      received.map((letter) => `${letter.headers['audit.dead-letter.source-partition']}:${letter.headers['audit.dead-letter.source-offset']}`),
    );
    expect(offsets.size).toBe(poisonSent);
    const poison = received.find((letter) => letter.headers['audit.session-id'] === 'poison');
    expect(poison?.value).toBe('0affffffff0f');
    expect(poison?.headers['audit.dead-letter.reason']).toMatch(/^protobuf body did not decode/);
    expect(poison?.headers['audit.dead-letter.source-topic']).toBe(pipeline.names.spansTopic);
    expect(poison?.headers['audit.dead-letter.source-offset']).toMatch(/^\d+$/);
    const notOtlp = received.find((letter) => letter.headers['audit.dead-letter.reason']?.includes('resourceSpans'));
    expect(notOtlp?.headers['audit.dead-letter.reason']).toMatch(/^JSON body did not decode: body is not an OTLP/);
    const deadLetterCount = await pipeline.running.metrics.writerDeadLetters.get();
    expect(deadLetterCount.values.reduce((sum, item) => sum + item.value, 0)).toBe(poisonSent);
  });
});
