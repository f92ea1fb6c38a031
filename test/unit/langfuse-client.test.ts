import { propagateAttributes, setLangfuseTracerProvider, startActiveObservation } from '@langfuse/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconstructTimeline, startCapture, type Capture } from '../support/otel-capture.ts';

// Langfuse's tracing SDK (@langfuse/tracing), which writes langfuse.*
// attributes on OpenTelemetry spans. Its tool observations carry no tool
// call id, so the timeline matches a requested call to the tool
// observation by name and says so.

let capture: Capture;

beforeAll(() => {
  capture = startCapture('langfuse-agent', { register: true });
  setLangfuseTracerProvider(capture.tracerProvider);
});

afterAll(async () => {
  setLangfuseTracerProvider(null);
  await capture?.shutdown();
});

describe('Langfuse tracing SDK', () => {
  it('reconstructs the agent, its generation and tool observation', async () => {
    const sessionId = `langfuse-${Date.now()}`;

    // Without Langfuse's own span processor, propagated attributes land on
    // the span active when they are set; the other spans of the trace join
    // its session through the trace.
    await startActiveObservation(
      'refund-agent',
      () =>
        propagateAttributes({ sessionId, userId: 'lf-customer' }, async () => {
          await startActiveObservation(
            'plan',
            async (generation) => {
              generation.update({
                model: 'lf-model-1',
                usageDetails: { input: 30, output: 6 },
                output: {
                  role: 'assistant',
                  tool_calls: [{ id: 'call_lf_1', type: 'function', function: { name: 'lookup_order', arguments: '{}' } }],
                },
              });
            },
            { asType: 'generation' },
          );
          await startActiveObservation(
            'lookup_order',
            async (tool) => {
              tool.update({ input: { order: 'A-1' }, output: { status: 'shipped' } });
            },
            { asType: 'tool' },
          );
        }),
      { asType: 'agent' },
    );
    const steps = reconstructTimeline([capture]);

    expect(steps.map((step) => [step.kind, step.name, step.convention])).toEqual([
      ['agent', 'refund-agent', 'langfuse'],
      ['model_request', 'plan', 'langfuse'],
      ['tool_call', 'lookup_order', 'langfuse'],
    ]);
    expect(steps[0]).toMatchObject({ agent: 'refund-agent', principal: 'lf-customer' });
    expect(steps[1]).toMatchObject({ model: 'lf-model-1', usage: { inputTokens: 30, outputTokens: 6 } });
    expect(steps[1]!.toolCalls).toEqual([
      { callId: 'call_lf_1', name: 'lookup_order', executed: true, executedBy: [{ traceId: steps[2]!.traceId, spanId: steps[2]!.spanId }], matchedBy: 'name' },
    ]);
    expect(steps[2]!.requestedBy?.spanId).toBe(steps[1]!.spanId);
  });

  it('files every observation under the propagated session id', async () => {
    const { decodeTraces } = await import('../../services/shared/otlp/decode-traces.ts');
    const { normalizeTraces } = await import('../../services/shared/normalize/index.ts');
    const decoded = decodeTraces(capture.tracesBody(), 'protobuf');
    if (!decoded.ok) throw new Error(decoded.reason);

    const sessions = new Set(normalizeTraces(decoded.data).map((event) => event.sessionId));

    expect([...sessions]).toHaveLength(1);
    expect([...sessions][0]).toMatch(/^langfuse-/);
  });
});
