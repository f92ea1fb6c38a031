import { OpenAIInstrumentation } from '@arizeai/openinference-instrumentation-openai';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startCapture, type Capture } from '../support/otel-capture.ts';
import { AGENT_NAME, loadOpenAi, startChatStub, type ChatStub } from '../support/openai-agent.ts';
import { expectOpenAiAgentTimeline } from '../support/openai-instrumentation-timeline.ts';

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
    await expectOpenAiAgentTimeline(capture, stub, `oi-${Date.now()}`, 'openinference');
  });
});
