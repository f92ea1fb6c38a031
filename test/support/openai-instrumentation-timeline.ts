import { expect } from 'vitest';
import { reconstructTimeline, type Capture } from './otel-capture.ts';
import { AGENT_NAME, DECLINED_CALL, EXECUTED_CALL, STUB_MODEL, loadOpenAi, runOpenAiAgent, type ChatStub } from './openai-agent.ts';

/**
 * Runs the openai agent against the chat stub, with an instrumentation that
 * writes `convention` attributes already registered on `capture`, and checks
 * the timeline the captured spans rebuild: both model requests, the executed
 * tool call, and the declined one as requested but not executed.
 */
export async function expectOpenAiAgentTimeline(capture: Capture, stub: ChatStub, sessionId: string, convention: string): Promise<void> {
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
    [convention, `${STUB_MODEL}-2026-01-01`, AGENT_NAME],
    [convention, `${STUB_MODEL}-2026-01-01`, AGENT_NAME],
  ]);
  expect(models[0]!.toolCalls?.map((call) => [call.callId, call.name, call.executed])).toEqual([
    [EXECUTED_CALL.id, EXECUTED_CALL.name, true],
    [DECLINED_CALL.id, DECLINED_CALL.name, false],
  ]);
  expect(models[0]!.usage?.inputTokens).toBe(41);
}
