import { OpenAIInstrumentation } from '@opentelemetry/instrumentation-openai';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TimelineResponse } from '../../schemas/api.ts';
import { startCapture, type Capture } from '../support/otel-capture.ts';
import {
  AGENT_NAME,
  DECLINED_CALL,
  EXECUTED_CALL,
  STUB_MODEL,
  loadOpenAi,
  runOpenAiAgent,
  startChatStub,
  type ChatStub,
} from '../support/openai-agent.ts';
import { readJson, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// The official openai SDK, instrumented by @opentelemetry/instrumentation-openai
// with message capture on, against a Chat Completions stub on 127.0.0.1. The
// instrumentation writes model spans with GenAI attributes and puts the tool
// calls the model chose into gen_ai.choice log events, so the spans go to
// /v1/traces and the events to /v1/logs, through Kafka, the writer and
// ClickHouse to the timeline API.

let pipeline: TestPipeline;
let capture: Capture;
let stub: ChatStub;
let instrumentation: OpenAIInstrumentation;

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'openai');
  capture = startCapture(AGENT_NAME, { register: true });
  instrumentation = new OpenAIInstrumentation({ captureMessageContent: true });
  instrumentation.setTracerProvider(capture.tracerProvider);
  // The instrumentation was built against an older logs API package; the SDK's provider implements the same interface.
  instrumentation.setLoggerProvider(capture.loggerProvider as unknown as Parameters<OpenAIInstrumentation['setLoggerProvider']>[0]);
  instrumentation.enable();
  stub = await startChatStub();
});

afterAll(async () => {
  instrumentation?.disable();
  await stub?.close();
  await capture?.shutdown();
  await pipeline?.stop();
});

async function post(path: '/v1/traces' | '/v1/logs', body: Uint8Array): Promise<Response> {
  return pipeline.fetch(`${pipeline.gatewayUrl}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf' } });
}

describe('openai SDK with @opentelemetry/instrumentation-openai', () => {
  it('reconstructs model requests, tool calls and the declined call', async () => {
    const sessionId = `openai-${Date.now()}`;
    const { OpenAI } = loadOpenAi();
    const client = new OpenAI({ apiKey: `test-${Math.random().toString(36).slice(2)}`, baseURL: stub.baseUrl });

    await runOpenAiAgent(client, capture.tracerProvider.getTracer('orders-agent'), sessionId);
    const traces = await post('/v1/traces', capture.tracesBody());
    const logs = await post('/v1/logs', capture.logsBody());
    const timeline = await waitFor(
      async () => {
        const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/timeline`);
        if (response.status !== 200) return undefined;
        const body = (await readJson(response)) as TimelineResponse;
        return body.steps.some((step) => step.synthetic) ? body : undefined;
      },
      { what: 'the openai session with its log events folded in' },
    );

    expect([traces.status, logs.status]).toEqual([200, 200]);
    expect(timeline.steps.map((step) => [step.kind, step.name, step.tool?.callId ?? null, step.state ?? null])).toEqual([
      ['agent', `invoke_agent ${AGENT_NAME}`, null, null],
      ['model_request', `chat ${STUB_MODEL}`, null, null],
      ['tool_call', `execute_tool ${DECLINED_CALL.name} (requested, not executed)`, DECLINED_CALL.id, 'requested_not_executed'],
      ['tool_call', `execute_tool ${EXECUTED_CALL.name}`, EXECUTED_CALL.id, null],
      ['model_request', `chat ${STUB_MODEL}`, null, null],
    ]);
    const [agent, firstModel, , executed, secondModel] = timeline.steps;
    expect(agent!.agent).toBe(AGENT_NAME);
    expect([firstModel!.model, secondModel!.model]).toEqual([`${STUB_MODEL}-2026-01-01`, `${STUB_MODEL}-2026-01-01`]);
    expect(firstModel!.provider).toBe('openai');
    expect(firstModel!.toolCalls?.map((call) => [call.callId, call.name, call.executed])).toEqual([
      [EXECUTED_CALL.id, EXECUTED_CALL.name, true],
      [DECLINED_CALL.id, DECLINED_CALL.name, false],
    ]);
    expect(firstModel!.events?.map((event) => event.name)).toContain('gen_ai.choice');
    expect(executed!.requestedBy).toEqual({ traceId: firstModel!.traceId, spanId: firstModel!.spanId });
  });
});
