import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENVELOPE_VERSION } from '../../schemas/kafka-envelope.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, newTraceId, tracesData } from '../support/otlp-builders.ts';
import { startPipeline, testKafka, waitFor, type TestPipeline, readJson } from '../support/pipeline.ts';

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'deadletter',
    { SERVICES: 'writer,api' },
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

interface DeadLetter {
  value: string;
  headers: Record<string, string>;
}

describe('dead-letter topic', () => {
  it('moves undecodable messages aside and keeps going', async () => {
    const kafka = testKafka(inject('kafkaBrokers'));
    const producer = kafka.producer();
    await producer.connect();
    const sessionId = `after-poison-${newTraceId()}`;
    const session = agentSession({ sessionId });

    await producer.send({
      topic: pipeline.names.spansTopic,
      messages: [
        {
          key: 'poison',
          value: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]),
          headers: {
            'audit.envelope-version': ENVELOPE_VERSION,
            'content-type': 'application/x-protobuf',
            'audit.session-id': 'poison',
            'audit.received-at': '1',
          },
        },
        { key: 'no-envelope', value: Buffer.from('{"resourceSpans": "nope"}') },
        { key: sessionId, value: Buffer.from(encodeTracesProtobuf(tracesData(session.spans))) },
      ],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `dead-letter-reader-${newTraceId()}` });
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
      await waitFor(async () => (received.length >= 2 ? true : undefined), { what: 'two dead letters' });
    } finally {
      await consumer.disconnect();
    }

    const poison = received.find((letter) => letter.headers['audit.session-id'] === 'poison');
    expect(poison?.value).toBe('0affffffff0f');
    expect(poison?.headers['audit.dead-letter.reason']).toMatch(/^protobuf body did not decode/);
    expect(poison?.headers['audit.dead-letter.source-topic']).toBe(pipeline.names.spansTopic);
    expect(poison?.headers['audit.dead-letter.source-offset']).toMatch(/^\d+$/);
    const notOtlp = received.find((letter) => letter.headers['audit.dead-letter.reason']?.includes('resourceSpans'));
    expect(notOtlp?.headers['audit.dead-letter.reason']).toMatch(/^JSON body did not decode: body is not an OTLP/);

    const timeline = await waitFor(async () => {
      const response = await fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/timeline`);
      return response.status === 200 ? readJson(response) : undefined;
    });
    expect(timeline.steps).toHaveLength(3);
  });
});
