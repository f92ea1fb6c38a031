import { describe, expect, it } from 'vitest';
import { readAuditFacts } from '../../services/shared/normalize/audit-facts.ts';
import { toAttributeMap } from '../../services/shared/otlp/attributes.ts';
import { attributes } from '../support/otlp-builders.ts';

function facts(span: Record<string, string | number | boolean>, resource: Record<string, string> = {}) {
  return readAuditFacts(toAttributeMap(attributes(span)), toAttributeMap(attributes(resource)));
}

describe('readAuditFacts', () => {
  it('reads authority from the audit convention', () => {
    const read = facts(
      {
        'audit.principal.id': 'alice',
        'audit.credential.type': 'oauth_token',
        'audit.credential.id': 'jti-9',
        'audit.credential.scopes': '["orders:read","orders:refund"]',
      },
      { 'audit.agent.owner': 'payments', 'deployment.environment.name': 'staging' },
    );

    expect(read.authority).toMatchObject({
      principalId: 'alice',
      credentialType: 'oauth_token',
      credentialId: 'jti-9',
      credentialScopes: ['orders:read', 'orders:refund'],
      agentOwner: 'payments',
      environment: 'staging',
    });
  });

  it('falls back to user.id for the principal', () => {
    expect(facts({ 'user.id': 'bob' }).authority.principalId).toBe('bob');
  });

  it('reports an invalid value by name and keeps the rest', () => {
    const read = facts({ 'audit.credential.type': 'magic', 'audit.principal.id': 'alice' });

    expect(read.invalidAttributes).toEqual(['audit.credential.type']);
    expect(read.authority.credentialType).toBe('');
    expect(read.authority.principalId).toBe('alice');
  });

  it('harvests resources from database and HTTP attributes', () => {
    const database = facts({ 'db.system.name': 'postgresql', 'db.namespace': 'shop', 'db.collection.name': 'orders', 'db.operation.name': 'DELETE' });
    const http = facts({ 'url.full': 'https://api.example.test/v1/charges?key=abc', 'http.request.method': 'POST' });

    expect(database.data).toMatchObject({ resources: ['postgresql:shop.orders'], operation: 'delete' });
    expect(http.data).toMatchObject({ resources: ['https://api.example.test/v1/charges'], operation: 'send' });
  });

  it('reads an approval span', () => {
    const read = facts({ 'audit.approval.decision': 'denied', 'audit.approval.decided_by': 'carol', 'audit.approval.tool_call.id': 'c1' });

    expect(read.approvals).toHaveLength(1);
    expect(read.approvals[0]).toMatchObject({ decision: 'denied', decidedBy: 'carol', toolCallId: 'c1', source: 'audit' });
  });

  it('reads AI SDK tool approval parts', () => {
    const read = facts({
      'gen_ai.input.messages': JSON.stringify([
        { role: 'assistant', parts: [{ type: 'tool_approval_request', approval_id: 'a1', tool_call_id: 'call-7' }] },
        { role: 'tool', parts: [{ type: 'tool_approval_response', approval_id: 'a1', approved: false, reason: 'too large' }] },
      ]),
    });

    expect(read.approvals).toEqual([
      expect.objectContaining({ approvalId: 'a1', decision: 'denied', toolCallId: 'call-7', reason: 'too large', source: 'ai_sdk' }),
    ]);
  });

  it('finds nothing on a plain span', () => {
    const read = facts({ 'http.route': '/health' });

    expect(read.approvals).toEqual([]);
    expect(read.data.resources).toEqual([]);
    expect(read.invalidAttributes).toEqual([]);
  });
});
