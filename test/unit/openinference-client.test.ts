import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCapture, reconstructTimeline, type Capture } from '../support/otel-capture.ts';
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

// The official openai SDK instrumented by OpenInference
// (@arizeai/openinference-instrumentation-openai) against the Chat
// Completions stub on 127.0.0.1. OpenInference writes `openinference.span.kind`
// and flattened `llm.output_messages.*` attributes; the captured spans are
// encoded as OTLP protobuf and read back as the gateway, writer and API
// would.

let capture: Capture;
let stub: ChatStub;
let instrumentation: OpenAIInstrumentation;

beforeAll(async () => {
  capture = startCapture(AGENT_NAME, { register: true });
  instrumentation = new OpenAIInstrumentation({ tracerProvider: capture.tracerProvider });
  const openai = loadOpenAi();
  // The module was loaded through require, but patching by hand does not depend on load order.
  instrumentation.manuallyInstrument(openai as unknown as Parameters<OpenAIInstrumentation['manuallyInstrument']>[0]);
  stub = await startChatStub();
});

afterAll(async () => {
  instrumentation?.disable();
  await stub?.close();
  await capture?.shutdown();
});

describe('openai SDK with the OpenInference instrumentation', () => {
  it('reconstructs the model requests with their tool calls', async () => {
    const sessionId = `oi-${Date.now()}`;
    const { OpenAI } = loadOpenAi();
    const client = new OpenAI({ apiKey: `test-${Math.random().toString(36).slice(2)}`, baseURL: stub.baseUrl });

    await runOpenAiAgent(client, capture.tracerProvider.getTracer(AGENT_NAME), sessionId);
    const steps = reconstructTimeline([capture]);
    const models = steps.filter((step) => step.kind === 'model_request');

    expect(steps.map((step) => [step.kind, step.tool?.callId ?? null, step.state ?? null])).toEqual([
      ['agent', null, null],
      ['model_request', null, null],
      ['tool_call', DECLINED_CALL.id, 'requested_not_executed'],
      ['tool_call', EXECUTED_CALL.id, null],
      ['model_request', null, null],
    ]);
    expect(models.map((step) => [step.convention, step.model, step.agent])).toEqual([
      ['openinference', `${STUB_MODEL}-2026-01-01`, AGENT_NAME],
      ['openinference', `${STUB_MODEL}-2026-01-01`, AGENT_NAME],
    ]);
    expect(models[0]!.toolCalls?.map((call) => [call.callId, call.name, call.executed])).toEqual([
      [EXECUTED_CALL.id, EXECUTED_CALL.name, true],
      [DECLINED_CALL.id, DECLINED_CALL.name, false],
    ]);
    expect(models[0]!.usage?.inputTokens).toBe(41);
  });
});
