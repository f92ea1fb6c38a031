import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TimelineResponse } from '../../schemas/api.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { agentSession, newTraceId, tracesData } from '../support/otlp-builders.ts';
import { toOtlpJson } from '../support/otlp-json.ts';
import { startPipeline, testKafka, waitFor, type TestPipeline, readJson } from '../support/pipeline.ts';

// A site that already runs the OpenTelemetry Collector points its Kafka
// exporter at a topic the writer reads. The exporter writes TracesData with
// no headers of ours, as otlp_proto or otlp_json, one batch per message.

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline(
    { kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') },
    'collector',
    { SERVICES: 'writer,api' },
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

async function readTimeline(sessionId: string): Promise<TimelineResponse> {
  return waitFor(
    async () => {
      const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/timeline`);
      return response.status === 200 ? ((await readJson(response)) as TimelineResponse) : undefined;
    },
    { what: `timeline of ${sessionId}` },
  );
}

describe('Collector-fed topic', () => {
  it('reads otlp_proto and otlp_json messages', async () => {
    const protoSession = agentSession({ sessionId: `collector-proto-${newTraceId()}` });
    const jsonSession = agentSession({ sessionId: `collector-json-${newTraceId()}` });
    const producer = testKafka(inject('kafkaBrokers')).producer();
    await producer.connect();

    await producer.send({
      topic: pipeline.names.collectorTopic,
      messages: [
        { key: protoSession.traceId, value: Buffer.from(encodeTracesProtobuf(tracesData(protoSession.spans))) },
        { key: jsonSession.traceId, value: toOtlpJson(tracesData(jsonSession.spans)) },
      ],
    });
    await producer.disconnect();

    for (const session of [protoSession, jsonSession]) {
      const sessionId = (session.root.attributes.find((attribute) => attribute.key === 'gen_ai.conversation.id')!.value as {
        stringValue: string;
      }).stringValue;
      const timeline = await readTimeline(sessionId);
      expect(timeline.steps.map((step) => step.spanId)).toEqual([session.root.spanId, session.chat.spanId, session.tool.spanId]);
      expect(timeline.steps.map((step) => step.kind)).toEqual(['agent', 'model_request', 'tool_call']);
    }
  });
});
