import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Step, TimelineResponse } from '../../schemas/api.ts';
import { AGENT_NAME, EXPECTED_ACTIVITY, runSupportAgent } from '../../examples/support-agent/agent.ts';
import { MODEL_ID, SCRIPTED_TOOL_CALLS } from '../../examples/support-agent/scripted-model.ts';
import { readJson, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// Spans from a real agent library (the Vercel AI SDK with its OpenTelemetry
// integration, exported by @opentelemetry/sdk-node) through the whole
// pipeline: gateway, Kafka, writer, ClickHouse, API.

let pipeline: TestPipeline;

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'example');
});

afterAll(async () => {
  await pipeline?.stop();
});

function ancestors(step: Step, bySpan: Map<string, Step>): Step[] {
  const chain: Step[] = [];
  let current = step.parentSpanId === null ? undefined : bySpan.get(step.parentSpanId);
  while (current) {
    chain.push(current);
    current = current.parentSpanId === null ? undefined : bySpan.get(current.parentSpanId);
  }
  return chain;
}

describe('example agent through the pipeline', () => {
  it('reconstructs its model requests and tool calls in order', async () => {
    const run = await runSupportAgent({ otlpEndpoint: pipeline.gatewayUrl, token: pipeline.ingestToken });

    const timeline = await waitFor(
      async () => {
        const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${run.sessionId}/timeline`);
        if (response.status !== 200) return undefined;
        const body = (await readJson(response)) as TimelineResponse;
        const models = body.steps.filter((step) => step.kind === 'model_request').length;
        const tools = body.steps.filter((step) => step.kind === 'tool_call').length;
        return models === EXPECTED_ACTIVITY.modelRequests && tools === EXPECTED_ACTIVITY.toolCalls ? body : undefined;
      },
      { what: 'the example session' },
    );
    const bySpan = new Map(timeline.steps.map((step) => [step.spanId, step]));
    const toolSteps = timeline.steps.filter((step) => step.kind === 'tool_call');
    const modelSteps = timeline.steps.filter((step) => step.kind === 'model_request');
    const roots = timeline.steps.filter((step) => step.depth === 0);

    expect(timeline.traceIds).toEqual([...run.traceIds].sort());
    expect(roots.map((step) => [step.kind, step.name, step.agent])).toEqual(
      run.traceIds.map(() => ['agent', `invoke_agent ${AGENT_NAME}`, AGENT_NAME]),
    );
    expect(modelSteps.every((step) => step.model === MODEL_ID)).toBe(true);
    expect(toolSteps.map((step) => step.tool)).toEqual(
      SCRIPTED_TOOL_CALLS.map((call) => ({ name: call.toolName, callId: call.toolCallId })),
    );
    for (const toolStep of toolSteps) {
      const chain = ancestors(toolStep, bySpan);
      expect(chain.at(-1)?.spanId).toBe(roots[0]!.spanId);
      expect(toolStep.traceId).toBe(run.traceIds[0]);
    }
    // Each tool call comes after the model request that asked for it.
    const firstModel = timeline.steps.indexOf(modelSteps[0]!);
    expect(timeline.steps.indexOf(toolSteps[0]!)).toBeGreaterThan(firstModel);
    expect(timeline.steps.indexOf(toolSteps[1]!)).toBeGreaterThan(timeline.steps.indexOf(modelSteps[1]!));
    // Every step's parent comes before it.
    for (const [index, step] of timeline.steps.entries()) {
      if (step.parentSpanId === null) continue;
      const parentIndex = timeline.steps.findIndex((candidate) => candidate.spanId === step.parentSpanId);
      expect(parentIndex).toBeLessThan(index);
    }
  });
});
