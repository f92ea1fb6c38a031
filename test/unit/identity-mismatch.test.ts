import { describe, expect, it } from 'vitest';
import { findIdentityMismatches, type IngestedStep } from '../../services/api/findings/identity-mismatch.ts';

const step = (overrides: Partial<IngestedStep>): IngestedStep => ({
  spanId: 'b7ad6b7169203331',
  traceId: '0af7651916cd43dd8448eb211c80319c',
  service: 'support-agent',
  agentName: '',
  agentId: '',
  ingestPrincipal: 'token:1234',
  ingestAgent: 'support-agent',
  ...overrides,
});

describe('identity_mismatch rule', () => {
  it('accepts a span whose service is the bound agent', () => {
    expect(findIdentityMismatches([step({ agentName: 'support' })])).toEqual([]);
  });

  it('flags a span claiming another service', () => {
    const findings = findIdentityMismatches([step({ service: 'billing-agent', agentName: 'billing' })]);

    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ type: 'identity_mismatch', severity: 'high', stepSpanId: 'b7ad6b7169203331' });
    expect(findings[0]!.message).toBe('span declares "billing-agent" and "billing" but was sent with token:1234, which speaks for "support-agent"');
  });

  it('ignores credentials bound to no agent', () => {
    expect(findIdentityMismatches([step({ service: 'anything', ingestAgent: '' })])).toEqual([]);
  });

  it('ignores spans that declare nothing', () => {
    expect(findIdentityMismatches([step({ service: '' })])).toEqual([]);
  });
});
