import { LegacyOpenTelemetry, OpenTelemetry } from '@ai-sdk/otel';
import { ToolLoopAgent } from 'ai';
import { describe, expect, it } from 'vitest';
import { CUSTOMER_MESSAGES, MODEL_ID, SCRIPTED_TOOL_CALLS, createScriptedModel } from '../../examples/support-agent/scripted-model.ts';
import { createSupportTools } from '../../examples/support-agent/support-tools.ts';
import type { Step } from '../../schemas/api.ts';
import { startCapture, reconstructTimeline } from '../support/otel-capture.ts';

// The Vercel AI SDK version 7 with its two OpenTelemetry integrations from
// @ai-sdk/otel: OpenTelemetry, which writes the GenAI form, and
// LegacyOpenTelemetry, which keeps the `ai.*` span layout of SDK versions up
// to 6 (ai.generateText, ai.generateText.doGenerate, ai.toolCall). The
// example's scripted model requests lookup_order, then issue_refund.

// The integration is created after the capture registers its provider,
// because an integration takes the global tracer when it is constructed.
async function runAgent(createIntegration: () => OpenTelemetry | LegacyOpenTelemetry): Promise<Step[]> {
  const capture = startCapture('support-agent', { register: true });
  try {
    const agent = new ToolLoopAgent({
      model: createScriptedModel(),
      tools: createSupportTools(),
      telemetry: { functionId: 'support-agent', integrations: [createIntegration()] },
    });
    await agent.generate({ messages: [{ role: 'user', content: CUSTOMER_MESSAGES[0]! }] });
    return reconstructTimeline([capture]);
  } finally {
    await capture.shutdown();
  }
}

function expectRequestedCallsLinked(steps: Step[]): void {
  const models = steps.filter((step) => step.kind === 'model_request');
  const tools = steps.filter((step) => step.kind === 'tool_call');

  expect(models.map((step) => step.model)).toEqual([MODEL_ID, MODEL_ID, MODEL_ID]);
  expect(tools.map((step) => step.tool)).toEqual(SCRIPTED_TOOL_CALLS.map((call) => ({ name: call.toolName, callId: call.toolCallId })));
  expect(tools.map((step) => step.synthetic ?? false)).toEqual([false, false]);
  // Each tool call follows the model request that asked for it.
  for (const [index, tool] of tools.entries()) {
    expect(tool.requestedBy?.spanId).toBe(models[index]!.spanId);
    expect(steps.indexOf(tool)).toBeGreaterThan(steps.indexOf(models[index]!));
  }
  expect(new Set(steps.map((step) => step.traceId)).size).toBe(1);
}

describe('Vercel AI SDK spans', () => {
  it('v7 GenAI form links requested calls', async () => {
    const steps = await runAgent(() => new OpenTelemetry());

    expect(steps[0]).toMatchObject({ kind: 'agent', operation: 'invoke_agent' });
    expectRequestedCallsLinked(steps);
  });

  // In version 7 the legacy integration writes no ai.telemetry.metadata.*
  // attributes, so the session falls back to the trace id here. The metadata
  // keys are read when older SDKs send them.
  it('legacy ai.* form links requested calls', async () => {
    const steps = await runAgent(() => new LegacyOpenTelemetry());

    expect(steps[0]).toMatchObject({ kind: 'agent', name: 'ai.generateText', agent: 'support-agent', convention: 'vercel_ai' });
    expectRequestedCallsLinked(steps);
  });
});
