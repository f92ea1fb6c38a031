import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpInstrumentation } from '@traceloop/instrumentation-mcp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Step, TimelineResponse } from '../../schemas/api.ts';
import { SCRIPTED_TOOL_CALLS } from '../../examples/support-agent/scripted-model.ts';
import { MCP_AGENT_NAME, MCP_SERVER_NAME, runMcpAgent } from '../support/mcp-agent.ts';
import { startCapture, type Capture } from '../support/otel-capture.ts';
import { readJson, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// The MCP TypeScript SDK's client and server, run by an AI SDK agent. The
// agent and the MCP server are two services with their own OTLP exports;
// both go through the gateway, Kafka, the writer and ClickHouse, and the
// timeline API reads them back as one session.

let pipeline: TestPipeline;
let agentCapture: Capture;
let serverCapture: Capture;
let instrumentation: McpInstrumentation;

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'mcp');
  agentCapture = startCapture(MCP_AGENT_NAME, { register: true });
  serverCapture = startCapture(MCP_SERVER_NAME);
  instrumentation = new McpInstrumentation({ traceContent: true });
  instrumentation.setTracerProvider(agentCapture.tracerProvider);
  // ESM imports bypass the require hook, so the client class is patched directly.
  instrumentation.manuallyInstrument({ Client });
});

afterAll(async () => {
  instrumentation?.disable();
  await agentCapture?.shutdown();
  await serverCapture?.shutdown();
  await pipeline?.stop();
});

function ancestorIds(step: Step, bySpan: Map<string, Step>): string[] {
  const ids: string[] = [];
  let current = step.parentSpanId === null ? undefined : bySpan.get(step.parentSpanId);
  while (current !== undefined) {
    ids.push(current.spanId);
    current = current.parentSpanId === null ? undefined : bySpan.get(current.parentSpanId);
  }
  return ids;
}

describe('MCP SDK client and server', () => {
  it('reads an agent and its MCP server as one session', async () => {
    const sessionId = `mcp-${Date.now()}`;
    await runMcpAgent(serverCapture.tracerProvider.getTracer(MCP_SERVER_NAME), sessionId);
    for (const capture of [agentCapture, serverCapture]) {
      const response = await pipeline.fetch(`${pipeline.gatewayUrl}/v1/traces`, {
        method: 'POST',
        body: capture.tracesBody(),
        headers: { 'Content-Type': 'application/x-protobuf' },
      });
      expect(response.status).toBe(200);
    }

    const expectedSpans = agentCapture.spanCount() + serverCapture.spanCount();
    const timeline = await waitFor(
      async () => {
        const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/timeline`);
        if (response.status !== 200) return undefined;
        const body = (await readJson(response)) as TimelineResponse;
        return body.steps.filter((step) => !step.synthetic).length === expectedSpans ? body : undefined;
      },
      { what: 'the MCP session with the agent and server spans' },
    );
    const bySpan = new Map(timeline.steps.map((step) => [step.spanId, step]));
    const toolSteps = timeline.steps.filter((step) => step.kind === 'tool_call');
    const agentTools = toolSteps.filter((step) => step.name.startsWith('execute_tool '));
    const clientTools = toolSteps.filter((step) => step.conventions?.includes('traceloop'));
    const serverTools = toolSteps.filter((step) => step.service === MCP_SERVER_NAME);

    expect(timeline.steps[0]).toMatchObject({ kind: 'agent', name: `invoke_agent ${MCP_AGENT_NAME}`, depth: 0 });
    expect(timeline.steps.filter((step) => step.kind === 'model_request').map((step) => step.model)).toEqual([
      'mock-support-model',
      'mock-support-model',
      'mock-support-model',
    ]);
    expect(agentTools.map((step) => step.tool)).toEqual(SCRIPTED_TOOL_CALLS.map((call) => ({ name: call.toolName, callId: call.toolCallId })));
    expect(clientTools.map((step) => [step.tool?.name, step.mcp?.method, step.status])).toEqual([
      ['lookup_order', 'tools/call', 'ok'],
      ['issue_refund', 'tools/call', 'error'],
    ]);
    expect(serverTools.map((step) => [step.tool?.name, step.convention, step.status])).toEqual([
      ['lookup_order', 'mcp', 'unset'],
      ['issue_refund', 'mcp', 'error'],
    ]);
    // Each server span runs under the agent's execute_tool span of the same call.
    for (const [index, serverStep] of serverTools.entries()) {
      expect(ancestorIds(serverStep, bySpan)).toContain(agentTools[index]!.spanId);
      expect(timeline.steps.indexOf(serverStep)).toBeGreaterThan(timeline.steps.indexOf(agentTools[index]!));
    }
    expect(timeline.traceIds).toHaveLength(1);
    // The AI SDK's own invoke_agent span is the same agent as the wrapper, not a sub-agent.
    expect(timeline.steps.filter((step) => step.agentRelation !== undefined)).toEqual([]);
  });
});
