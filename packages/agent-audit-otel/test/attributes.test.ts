import { describe, expect, it } from 'vitest';
import {
  buildApprovalAttributes,
  buildAuthorityAttributes,
  buildDataAccessAttributes,
  buildResourceAttributes,
} from '../src/index.ts';

describe('attribute builders', () => {
  it('writes authority with its credential', () => {
    const attributes = buildAuthorityAttributes({
      principal: 'alice',
      principalType: 'user',
      credential: { type: 'oauth_token', id: 'jti-42', lifetime: 'short_lived', scopes: ['orders:read'] },
      delegationChain: ['user:alice', 'agent:support-agent'],
    });

    expect(attributes).toEqual({
      'audit.principal.id': 'alice',
      'audit.principal.type': 'user',
      'audit.delegation.chain': ['user:alice', 'agent:support-agent'],
      'audit.credential.type': 'oauth_token',
      'audit.credential.id': 'jti-42',
      'audit.credential.lifetime': 'short_lived',
      'audit.credential.scopes': ['orders:read'],
    });
  });

  it('leaves out empty values', () => {
    expect(buildAuthorityAttributes({ principal: '', delegationChain: [] })).toEqual({});
  });

  it('writes data access', () => {
    const attributes = buildDataAccessAttributes({
      resource: ['s3://bucket/a', 's3://bucket/b'],
      operation: 'read',
      count: 2,
      classification: 'confidential',
    });

    expect(attributes).toEqual({
      'audit.data.resource': ['s3://bucket/a', 's3://bucket/b'],
      'audit.data.operation': 'read',
      'audit.data.count': 2,
      'audit.data.classification': 'confidential',
    });
  });

  it('rejects a negative data count', () => {
    expect(() => buildDataAccessAttributes({ resource: 'doc-1', operation: 'read', count: -1 })).toThrow(RangeError);
  });

  it('writes an approval with JSON arguments', () => {
    const decidedAt = new Date('2026-12-04T10:15:02.000Z');
    const attributes = buildApprovalAttributes({
      decision: 'granted',
      decidedBy: 'supervisor-bob',
      decidedAt,
      policyRule: 'refunds-need-approval',
      toolCallId: 'call_1',
      toolName: 'issue_refund',
      toolArguments: { orderId: 'ORD-1', amountCents: 100 },
    });

    expect(attributes).toEqual({
      'audit.approval.required': true,
      'audit.approval.policy_rule': 'refunds-need-approval',
      'audit.approval.decision': 'granted',
      'audit.approval.decided_by': 'supervisor-bob',
      'audit.approval.decided_at': '2026-12-04T10:15:02.000Z',
      'audit.approval.tool_call.id': 'call_1',
      'audit.approval.tool.name': 'issue_refund',
      'audit.approval.tool.arguments': '{"orderId":"ORD-1","amountCents":100}',
    });
  });

  it('defaults the decision time to now', () => {
    const now = new Date('2026-01-02T03:04:05.000Z');
    const attributes = buildApprovalAttributes({ decision: 'denied', decidedBy: 'policy:no-refunds' }, now);

    expect(attributes['audit.approval.decided_at']).toBe('2026-01-02T03:04:05.000Z');
  });

  it('names agent, owner, tenant and environment', () => {
    const attributes = buildResourceAttributes({
      agent: { name: 'support-agent', id: 'support-agent-v1', owner: 'support-team' },
      tenant: 'acme',
      environment: 'prod',
    });

    expect(attributes).toEqual({
      'service.name': 'support-agent',
      'gen_ai.agent.name': 'support-agent',
      'gen_ai.agent.id': 'support-agent-v1',
      'audit.agent.id': 'support-agent-v1',
      'audit.agent.owner': 'support-team',
      'audit.tenant.id': 'acme',
      'deployment.environment.name': 'prod',
    });
  });
});
