import { describe, expect, it } from 'vitest';
import type { ApprovalRecord, Authority } from '../../schemas/investigation.ts';
import { assessSession, type FindingStep } from '../../services/api/findings/index.ts';
import { createPolicy, PolicySchema } from '../../services/shared/policy.ts';

const policy = createPolicy(
  PolicySchema.parse({
    approvalRequired: ['issue_refund', 'delete_*'],
    agents: { 'support-agent': { tools: ['lookup_order', 'issue_refund', 'send_email'] } },
    egressTools: ['send_*'],
  }),
);

function authority(overrides: Partial<Authority> = {}): Authority {
  return {
    principal: 'alice',
    principalType: 'user',
    agentId: 'support-agent',
    agentOwner: null,
    environment: null,
    credential: null,
    delegationChain: [],
    ...overrides,
  };
}

let clock = 1_000n;
function step(overrides: Partial<FindingStep> & { spanId: string }): FindingStep {
  clock += 1_000n;
  return {
    traceId: 't'.repeat(32),
    parentSpanId: null,
    kind: 'tool_call',
    name: 'execute_tool',
    startUnixNano: clock,
    agent: 'support-agent',
    tool: null,
    authority: authority(),
    data: { resources: [], operation: null, count: null, classification: null },
    approvals: [],
    ...overrides,
  };
}

function tool(spanId: string, name: string, callId: string | null, overrides: Partial<FindingStep> = {}): FindingStep {
  return step({ spanId, kind: 'tool_call', name: `execute_tool ${name}`, tool: { name, callId }, ...overrides });
}

function approval(overrides: Partial<ApprovalRecord>): ApprovalRecord {
  return {
    approvalId: 'ap-1',
    decision: 'granted',
    decidedBy: 'bob',
    decidedAt: null,
    requestedAt: null,
    policyRule: null,
    reason: null,
    toolCallId: null,
    toolName: null,
    toolArguments: null,
    source: 'audit',
    recordedOnSpanId: 'approval-step',
    ...overrides,
  };
}

function decision(spanId: string, record: Partial<ApprovalRecord>): FindingStep {
  return step({ spanId, kind: 'approval', name: 'approval', approvals: [approval({ recordedOnSpanId: spanId, ...record })] });
}

function types(steps: FindingStep[]): string[] {
  return assessSession(steps, policy).findings.map((found) => found.type);
}

describe('unapproved_tool_call', () => {
  it('fires for a gated tool with no approval', () => {
    const findings = assessSession([tool('refund', 'issue_refund', 'call-1')], policy).findings;

    expect(findings.map((found) => found.type)).toEqual(['unapproved_tool_call']);
    expect(findings[0]!.stepSpanId).toBe('refund');
    expect(findings[0]!.message).toContain('issue_refund');
  });

  it('stays quiet when a granted approval names the call', () => {
    expect(types([decision('ok', { toolCallId: 'call-1' }), tool('refund', 'issue_refund', 'call-1')])).toEqual([]);
  });

  it('fires when the only grant came after the call', () => {
    expect(types([tool('refund', 'issue_refund', 'call-1'), decision('late', { toolCallId: 'call-1' })])).toEqual([
      'unapproved_tool_call',
    ]);
  });

  it('stays quiet for a tool the policy does not gate', () => {
    expect(types([tool('lookup', 'lookup_order', 'call-2')])).toEqual([]);
  });
});

describe('action_after_denial', () => {
  it('fires when the call ran after a denial', () => {
    expect(types([decision('no', { toolCallId: 'call-1', decision: 'denied' }), tool('refund', 'issue_refund', 'call-1')])).toEqual([
      'action_after_denial',
    ]);
  });

  it('fires after an expired approval matched by tool name', () => {
    expect(types([decision('old', { toolName: 'issue_refund', decision: 'expired' }), tool('refund', 'issue_refund', null)])).toEqual([
      'action_after_denial',
    ]);
  });

  it('stays quiet when a later grant replaced the denial', () => {
    const steps = [
      decision('no', { toolCallId: 'call-1', decision: 'denied' }),
      decision('yes', { toolCallId: 'call-1', decision: 'granted' }),
      tool('refund', 'issue_refund', 'call-1'),
    ];

    expect(types(steps)).toEqual([]);
  });
});

describe('out_of_scope_tool', () => {
  it('fires for a tool outside the agent patterns', () => {
    expect(types([tool('drop', 'drop_table', 'call-3')])).toEqual(['out_of_scope_tool']);
  });

  it('stays quiet for an agent the policy does not list', () => {
    expect(types([tool('drop', 'drop_table', 'call-3', { agent: 'ops-agent', authority: authority({ agentId: null }) })])).toEqual([]);
  });
});

describe('principal_mismatch', () => {
  it('fires when an action runs as another principal', () => {
    const steps = [
      step({ spanId: 'root', kind: 'agent', name: 'invoke_agent' }),
      tool('lookup', 'lookup_order', 'call-4', { parentSpanId: 'root', authority: authority({ principal: 'svc-batch' }) }),
    ];

    expect(types(steps)).toEqual(['principal_mismatch']);
  });

  it('stays quiet with a delegation recorded on an ancestor', () => {
    const steps = [
      step({ spanId: 'root', kind: 'agent', name: 'invoke_agent', authority: authority({ delegationChain: ['user:alice', 'service:svc-batch'] }) }),
      tool('lookup', 'lookup_order', 'call-4', { parentSpanId: 'root', authority: authority({ principal: 'svc-batch' }) }),
    ];

    expect(types(steps)).toEqual([]);
  });
});

describe('long_lived_credential', () => {
  it('fires for a static shared key', () => {
    const credential = { type: 'static_key', id: 'key-17', lifetime: null, scopes: [] };

    expect(types([tool('lookup', 'lookup_order', 'c', { authority: authority({ credential }) })])).toEqual(['long_lived_credential']);
  });

  it('stays quiet for a short-lived OAuth token', () => {
    const credential = { type: 'oauth_token', id: 'tok-1', lifetime: 'short_lived', scopes: ['orders:read'] };

    expect(types([tool('lookup', 'lookup_order', 'c', { authority: authority({ credential }) })])).toEqual([]);
  });
});

describe('sensitive_read_then_egress', () => {
  const read = (classification: string) =>
    step({
      spanId: 'read',
      kind: 'data_access',
      name: 'SELECT customers',
      data: { resources: ['postgresql:crm.customers'], operation: 'read', count: 20, classification },
    });

  it('fires for an egress tool after a sensitive read', () => {
    const findings = assessSession([read('pii'), tool('mail', 'send_email', 'c5')], policy).findings;

    expect(findings.map((found) => found.type)).toEqual(['sensitive_read_then_egress']);
    expect(findings[0]!.relatedSpanIds).toEqual(['read']);
  });

  it('stays quiet after a public read', () => {
    expect(types([read('public'), tool('mail', 'send_email', 'c5')])).toEqual([]);
  });

  it('stays quiet when the egress came first', () => {
    expect(types([tool('mail', 'send_email', 'c5'), read('pii')])).toEqual([]);
  });
});
