import { SENSITIVE_CLASSIFICATIONS, type DataClassification } from '../../../schemas/audit-convention.ts';
import type { ApprovalStatus, Finding } from '../../../schemas/investigation.ts';
import type { Policy } from '../../shared/policy.ts';
import { collectApprovals, resolveApprovalStatus } from './approval-status.ts';
import type { FindingStep } from './finding-step.ts';

export type { FindingStep };

// The rules an investigator is pointed at. Each reads the session's steps in
// start-time order and the policy; none reads storage.

const actionKinds = new Set(['tool_call', 'data_access']);

function compareStart(a: FindingStep, b: FindingStep): number {
  if (a.startUnixNano === b.startUnixNano) return 0;
  return a.startUnixNano < b.startUnixNano ? -1 : 1;
}

function finding(step: FindingStep, type: Finding['type'], severity: Finding['severity'], message: string, related: string[] = []): Finding {
  return { type, severity, stepSpanId: step.spanId, traceId: step.traceId, message, relatedSpanIds: related };
}

function approvalFindings(step: FindingStep, status: ApprovalStatus): Finding[] {
  const tool = step.tool?.name ?? step.name;
  if (status.status === 'denied' || status.status === 'expired') {
    const by = status.decision?.decidedBy ? ` by ${status.decision.decidedBy}` : '';
    return [
      finding(step, 'action_after_denial', 'high', `tool "${tool}" ran after its approval was ${status.status}${by}`, [
        status.decision?.recordedOnSpanId ?? '',
      ].filter(Boolean)),
    ];
  }
  if (status.required && (status.status === 'missing' || status.status === 'pending')) {
    const rule = status.policyRule ? ` (rule "${status.policyRule}")` : '';
    return [finding(step, 'unapproved_tool_call', 'high', `tool "${tool}" needs a granted approval${rule} and ran without one`)];
  }
  return [];
}

function scopeFindings(step: FindingStep, policy: Policy): Finding[] {
  const tool = step.tool?.name;
  if (!tool) return [];
  for (const agent of [step.authority.agentId, step.agent]) {
    if (!agent) continue;
    const allowed = policy.agentMayUse(agent, tool);
    if (allowed === false) {
      return [finding(step, 'out_of_scope_tool', 'medium', `agent "${agent}" used tool "${tool}", which its policy does not allow`)];
    }
    if (allowed === true) return [];
  }
  return [];
}

/** Returns the principal on whose behalf the session began, taken from its earliest step that names one. */
function initiatingPrincipal(steps: readonly FindingStep[]): string | null {
  return steps.find((step) => step.authority.principal)?.authority.principal ?? null;
}

function delegates(chain: readonly string[], principal: string): boolean {
  return chain.some((entry) => entry === principal || entry.slice(entry.indexOf(':') + 1) === principal);
}

function principalFindings(step: FindingStep, initiator: string | null, bySpan: Map<string, FindingStep>): Finding[] {
  const principal = step.authority.principal;
  if (!initiator || !principal || principal === initiator || !actionKinds.has(step.kind)) return [];
  // A delegation recorded on the step or on any ancestor covers it.
  for (let current: FindingStep | undefined = step; current; current = current.parentSpanId ? bySpan.get(current.parentSpanId) : undefined) {
    if (delegates(current.authority.delegationChain, initiator) && delegates(current.authority.delegationChain, principal)) return [];
  }
  return [
    finding(
      step,
      'principal_mismatch',
      'high',
      `step acted as "${principal}" in a session started by "${initiator}" with no recorded delegation between them`,
    ),
  ];
}

function credentialFindings(step: FindingStep): Finding[] {
  const credential = step.authority.credential;
  if (!credential || !(actionKinds.has(step.kind) || step.kind === 'model_request')) return [];
  if (credential.type !== 'static_key' && credential.lifetime !== 'long_lived') return [];
  const id = credential.id ? ` "${credential.id}"` : '';
  return [finding(step, 'long_lived_credential', 'medium', `step used a long-lived ${credential.type} credential${id}`)];
}

function isSensitiveRead(step: FindingStep): boolean {
  const operation = step.data.operation ?? '';
  return (
    SENSITIVE_CLASSIFICATIONS.includes(step.data.classification as DataClassification) &&
    (operation === '' || operation === 'read' || operation === 'list')
  );
}

export interface SessionAssessment {
  findings: Finding[];
  /** Approval status per tool call step, by span id. */
  approvalBySpan: Map<string, ApprovalStatus>;
}

/** Applies every rule to a session's steps. Steps may come in any order. */
export function assessSession(steps: readonly FindingStep[], policy: Policy): SessionAssessment {
  const ordered = [...steps].sort(compareStart);
  const bySpan = new Map(ordered.map((step) => [step.spanId, step]));
  const approvals = collectApprovals(ordered);
  const initiator = initiatingPrincipal(ordered);
  const findings: Finding[] = [];
  const approvalBySpan = new Map<string, ApprovalStatus>();
  let sensitiveRead: FindingStep | null = null;

  for (const step of ordered) {
    if (step.kind === 'tool_call') {
      const status = resolveApprovalStatus(step, approvals, policy);
      approvalBySpan.set(step.spanId, status);
      findings.push(...approvalFindings(step, status), ...scopeFindings(step, policy));
      if (sensitiveRead && step.tool && policy.isEgressTool(step.tool.name)) {
        findings.push(
          finding(
            step,
            'sensitive_read_then_egress',
            'high',
            `tool "${step.tool.name}" can send data out after ${sensitiveRead.data.classification} data was read from ${sensitiveRead.data.resources[0] ?? 'a resource'}`,
            [sensitiveRead.spanId],
          ),
        );
      }
    }
    findings.push(...principalFindings(step, initiator, bySpan), ...credentialFindings(step));
    if (isSensitiveRead(step)) sensitiveRead = step;
  }
  return { findings, approvalBySpan };
}
