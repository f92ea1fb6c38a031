import { OpenAIInstrumentation } from '@traceloop/instrumentation-openai';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startCapture, type Capture } from '../support/otel-capture.ts';
import { AGENT_NAME, loadOpenAi, startChatStub, type ChatStub } from '../support/openai-agent.ts';
import { expectOpenAiAgentTimeline } from '../support/openai-instrumentation-timeline.ts';

// The official openai SDK instrumented by OpenLLMetry
// (@traceloop/instrumentation-openai) against the Chat Completions stub on
// 127.0.0.1. OpenLLMetry marks model requests with `llm.request.type` and
// writes messages as indexed `gen_ai.prompt.N.*` and `gen_ai.completion.N.*`
// attributes. The captured spans are encoded as OTLP protobuf and read back
// as the gateway, writer and API would.

let capture: Capture;
let stub: ChatStub;
let instrumentation: OpenAIInstrumentation;

beforeAll(async () => {
  capture = startCapture(AGENT_NAME, { register: true });
  instrumentation = new OpenAIInstrumentation({ traceContent: true });
  instrumentation.setTracerProvider(capture.tracerProvider);
  // OpenLLMetry patches the classes hanging off the OpenAI client class.
  instrumentation.manuallyInstrument(loadOpenAi().OpenAI);
  stub = await startChatStub();
});

afterAll(async () => {
  instrumentation?.disable();
  await stub?.close();
  await capture?.shutdown();
});

describe('openai SDK with the OpenLLMetry instrumentation', () => {
  it('reconstructs the model requests with their tool calls', async () => {
    await expectOpenAiAgentTimeline(capture, stub, `openllmetry-${Date.now()}`, 'traceloop');
  });
});
