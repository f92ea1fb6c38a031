// The identity_mismatch rule: a span whose self-declared service or agent
// does not match the agent its ingest credential speaks for. An agent token
// or workload identity bound to "billing-agent" that sends spans claiming
// to be "support-agent" is either misconfigured or impersonating.

/** The fields of a stored span that the rule reads. */
export interface IngestedStep {
  spanId: string;
  traceId: string;
  /** Resource service.name. */
  service: string;
  agentName: string;
  agentId: string;
  /** The credential the span was sent with, such as `token:<id>`. */
  ingestPrincipal: string;
  /** The agent the credential is bound to; empty when it is bound to none. */
  ingestAgent: string;
}

export interface IdentityMismatchFinding {
  type: 'identity_mismatch';
  severity: 'high';
  stepSpanId: string;
  traceId: string;
  message: string;
  relatedSpanIds: string[];
}

/**
 * Flags each step that declares a service or agent, none of whose declared
 * names is the credential's bound agent. A credential bound to no agent, or
 * a step declaring nothing, yields no finding.
 */
export function findIdentityMismatches(steps: readonly IngestedStep[]): IdentityMismatchFinding[] {
  const findings: IdentityMismatchFinding[] = [];
  for (const step of steps) {
    if (step.ingestAgent === '') continue;
    const declared = [step.service, step.agentName, step.agentId].filter((name) => name !== '');
    if (declared.length === 0 || declared.includes(step.ingestAgent)) continue;
    findings.push({
      type: 'identity_mismatch',
      severity: 'high',
      stepSpanId: step.spanId,
      traceId: step.traceId,
      message: `span declares ${declared.map((name) => `"${name}"`).join(' and ')} but was sent with ${step.ingestPrincipal}, which speaks for "${step.ingestAgent}"`,
      relatedSpanIds: [],
    });
  }
  return findings;
}
