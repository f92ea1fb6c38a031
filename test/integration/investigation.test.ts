import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Step, TimelineResponse } from '../../schemas/api.ts';
import type { KeyValue } from '../../schemas/otlp.ts';
import { encodeTracesProtobuf } from '../../services/shared/otlp/protobuf.ts';
import { newTraceId, span, tracesData } from '../support/otlp-builders.ts';
import { readJson, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// A support session recorded with the audit attribute convention, read back
// with its four facts per step, its findings, and through the inventory,
// resource history, search filters and evidence export.

let pipeline: TestPipeline;
let policyDirectory: string;

beforeAll(async () => {
  policyDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-'));
  const policyFile = path.join(policyDirectory, 'policy.yaml');
  fs.writeFileSync(
    policyFile,
    [
      'approvalRequired: ["issue_refund", "send_*"]',
      'agents:',
      '  support-agent-v1:',
      '    tools: ["lookup_order", "issue_refund"]',
      'egressTools: ["send_*"]',
    ].join('\n'),
  );
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'investigation', {
    POLICY_FILE: policyFile,
  });
});

afterAll(async () => {
  await pipeline?.stop();
  fs.rmSync(policyDirectory, { recursive: true, force: true });
});

function stringArray(key: string, values: string[]): KeyValue {
  return { key, value: { arrayValue: { values: values.map((value) => ({ stringValue: value })) } } };
}

function buildSession(sessionId: string) {
  const traceId = newTraceId();
  const startMs = Date.now() - 30_000;
  const root = span({
    traceId,
    name: 'invoke_agent support-agent',
    startMs,
    durationMs: 900,
    attributes: {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'support-agent',
      'gen_ai.agent.id': 'support-agent-v1',
      'gen_ai.conversation.id': sessionId,
      'audit.principal.id': 'alice',
      'audit.principal.type': 'user',
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: 'My mug arrived broken, please refund order ORD-1.' }] }]),
    },
  });
  root.attributes.push(stringArray('audit.delegation.chain', ['user:alice', 'agent:support-agent-v1']));
  const chat = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'chat test-model',
    startMs: startMs + 10,
    durationMs: 50,
    kind: 3,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'test-model',
      'gen_ai.output.messages': JSON.stringify([
        {
          role: 'assistant',
          parts: [
            { type: 'text', content: 'I will look the order up, refund it and email a receipt.' },
            { type: 'tool_call', id: 'call-lookup', name: 'lookup_order', arguments: { orderId: 'ORD-1' } },
            { type: 'tool_call', id: 'call-refund', name: 'issue_refund', arguments: { orderId: 'ORD-1' } },
            { type: 'tool_call', id: 'call-email', name: 'send_email', arguments: { to: 'alice' } },
          ],
        },
      ]),
    },
  });
  const lookup = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'execute_tool lookup_order',
    startMs: startMs + 100,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call-lookup',
      'audit.credential.type': 'workload_identity',
      'audit.credential.id': 'spiffe://shop/support-agent',
      'audit.data.resource': 'postgresql:shop.orders',
      'audit.data.operation': 'read',
      'audit.data.count': 1,
      'audit.data.classification': 'pii',
    },
  });
  const approval = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'approval issue_refund',
    startMs: startMs + 200,
    attributes: {
      'audit.approval.id': 'apr-1',
      'audit.approval.decision': 'granted',
      'audit.approval.decided_by': 'supervisor-bob',
      'audit.approval.tool_call.id': 'call-refund',
      'audit.approval.tool.arguments': '{"orderId":"ORD-1"}',
    },
  });
  const refund = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'execute_tool issue_refund',
    startMs: startMs + 300,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'issue_refund',
      'gen_ai.tool.call.id': 'call-refund',
      'audit.credential.type': 'static_key',
      'audit.credential.id': 'payments-key-2019',
    },
  });
  const email = span({
    traceId,
    parentSpanId: root.spanId,
    name: 'execute_tool send_email',
    startMs: startMs + 400,
    attributes: {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'send_email',
      'gen_ai.tool.call.id': 'call-email',
      'audit.principal.id': 'svc-mailer',
    },
  });
  const resource = { 'service.name': 'support', 'deployment.environment.name': 'prod', 'audit.agent.owner': 'payments-team' };
  return { data: tracesData([root, chat, lookup, approval, refund, email], resource), root, chat, lookup, approval, refund, email };
}

const sessionId = `investigation-${newTraceId().slice(0, 12)}`;
let session: ReturnType<typeof buildSession>;
let timeline: TimelineResponse;

function stepOf(spanId: string): Step {
  const found = timeline.steps.find((step) => step.spanId === spanId);
  if (!found) throw new Error(`no step for span ${spanId}`);
  return found;
}

async function getJson(pathAndQuery: string) {
  const response = await pipeline.fetch(`${pipeline.apiUrl}${pathAndQuery}`);
  return { status: response.status, body: await readJson(response), response };
}

describe('investigator view', () => {
  beforeAll(async () => {
    session = buildSession(sessionId);
    const response = await pipeline.fetch(`${pipeline.gatewayUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: encodeTracesProtobuf(session.data),
    });
    expect(response.status).toBe(200);
    timeline = await waitFor(async () => {
      const { status, body } = await getJson(`/v1/sessions/${sessionId}/timeline`);
      return status === 200 && body.steps.length === 6 ? (body as TimelineResponse) : undefined;
    });
  });

  it('shows intent on a tool call', () => {
    const intent = stepOf(session.lookup.spanId).intent;

    expect(intent?.request).toBe('My mug arrived broken, please refund order ORD-1.');
    expect(intent?.decisionSpanId).toBe(session.chat.spanId);
    expect(intent?.decision).toContain('I will look the order up');
  });

  it('shows authority with credential and delegation', () => {
    expect(stepOf(session.root.spanId).authority?.delegationChain).toEqual(['user:alice', 'agent:support-agent-v1']);
    expect(stepOf(session.lookup.spanId).authority?.credential).toEqual({
      type: 'workload_identity',
      id: 'spiffe://shop/support-agent',
      lifetime: null,
      scopes: [],
    });
    expect(stepOf(session.root.spanId).authority?.agentOwner).toBe('payments-team');
    expect(stepOf(session.root.spanId).authority?.environment).toBe('prod');
  });

  it('shows data touched with classification', () => {
    expect(stepOf(session.lookup.spanId).data).toEqual({
      resources: ['postgresql:shop.orders'],
      operation: 'read',
      count: 1,
      classification: 'pii',
    });
  });

  it('shows the approval that gated a call', () => {
    const approval = stepOf(session.refund.spanId).approval;

    expect(stepOf(session.approval.spanId).kind).toBe('approval');
    expect(approval?.status).toBe('granted');
    expect(approval?.policyRule).toBe('issue_refund');
    expect(approval?.decision?.decidedBy).toBe('supervisor-bob');
    expect(approval?.decision?.toolArguments).toBe('{"orderId":"ORD-1"}');
  });

  it('reports the findings on their steps', () => {
    const found = timeline.findings.map((finding) => `${finding.type}@${finding.stepSpanId}`).sort();

    expect(found).toEqual(
      [
        `long_lived_credential@${session.refund.spanId}`,
        `out_of_scope_tool@${session.email.spanId}`,
        `principal_mismatch@${session.email.spanId}`,
        `sensitive_read_then_egress@${session.email.spanId}`,
        `unapproved_tool_call@${session.email.spanId}`,
      ].sort(),
    );
    expect(stepOf(session.email.spanId).findingTypes).toHaveLength(4);
  });

  it('returns full message text on request', async () => {
    const { body } = await getJson(`/v1/sessions/${sessionId}/timeline?content=full`);
    const lookup = (body as TimelineResponse).steps.find((step) => step.spanId === session.lookup.spanId);

    expect(lookup?.intent?.decision).toContain('call send_email');
  });

  it('lists the agent in the inventory', async () => {
    const { body } = await getJson('/v1/agents');
    const agent = body.agents.find((entry: { id: string }) => entry.id === 'support-agent-v1');
    const single = await getJson('/v1/agents/support-agent-v1');
    const missing = await getJson('/v1/agents/no-such-agent');

    expect(agent).toMatchObject({
      name: 'support-agent',
      owner: 'payments-team',
      environment: 'prod',
      tools: ['issue_refund', 'lookup_order', 'send_email'],
      credentialTypes: ['static_key', 'workload_identity'],
      sessions: 1,
    });
    expect(single.body.id).toBe('support-agent-v1');
    expect(missing.status).toBe(404);
  });

  it('answers who touched a resource', async () => {
    const { body } = await getJson(`/v1/resources/${encodeURIComponent('postgresql:shop.orders')}/access`);

    expect(body.accesses).toHaveLength(1);
    expect(body.accesses[0]).toMatchObject({ sessionId, principal: 'alice', operation: 'read', classification: 'pii' });
  });

  it('filters sessions by resource, approval and finding', async () => {
    const ids = async (query: string) =>
      (await getJson(`/v1/sessions?${query}`)).body.sessions.map((summary: { sessionId: string }) => summary.sessionId);

    expect(await ids('resource=postgresql%3Ashop.orders')).toContain(sessionId);
    expect(await ids('approval=granted')).toContain(sessionId);
    expect(await ids('approval=denied')).not.toContain(sessionId);
    expect(await ids('finding=principal_mismatch')).toContain(sessionId);
    expect(await ids('finding=action_after_denial')).not.toContain(sessionId);
  });

  it('exports the session as JSON and NDJSON', async () => {
    const json = await getJson(`/v1/sessions/${sessionId}/export`);
    const ndjson = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/export?format=ndjson`);
    const records = (await ndjson.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { record: string });

    expect(json.body.exportFormat).toBe('agent-audit-session/1');
    expect(json.body.spans).toHaveLength(6);
    expect(json.body.findings).toHaveLength(5);
    expect(json.response.headers.get('content-disposition')).toMatch(/attachment/);
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(records[0]!.record).toBe('session');
    expect(records.filter((record) => record.record === 'span')).toHaveLength(6);
  });

  it('describes every endpoint in OpenAPI 3.1', async () => {
    const { body } = await getJson('/openapi.json');

    expect(body.openapi).toBe('3.1.0');
    expect(Object.keys(body.paths)).toEqual(
      expect.arrayContaining(['/v1/sessions', '/v1/sessions/{sessionId}/timeline', '/v1/agents', '/v1/resources/{resource}/access']),
    );
  });
});
