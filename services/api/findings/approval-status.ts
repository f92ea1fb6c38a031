import type { ApprovalRecord, ApprovalStatus } from '../../../schemas/investigation.ts';
import type { Policy } from '../../shared/policy.ts';
import { parseRfc3339 } from '../time-format.ts';
import type { FindingStep } from './finding-step.ts';

export interface RecordedApproval {
  record: ApprovalRecord;
  /** When the decision took effect: decidedAt when given, else the start of the step that recorded it. */
  atUnixNano: bigint;
}

function decisionTime(record: ApprovalRecord, step: FindingStep): bigint {
  if (record.decidedAt) {
    try {
      return parseRfc3339(record.decidedAt);
    } catch {
      // An unparseable decidedAt falls back to the recording step's start.
    }
  }
  return step.startUnixNano;
}

export function collectApprovals(steps: readonly FindingStep[]): RecordedApproval[] {
  return steps.flatMap((step) => step.approvals.map((record) => ({ record, atUnixNano: decisionTime(record, step) })));
}

/**
 * Tells whether a decision covers a tool call. It does when it names the call's id, or, when it
 * names no call id, the call's tool. Decisions recorded on the tool step
 * itself cover it whatever their time; others count only when taken before
 * the call started.
 */
function covers(approval: RecordedApproval, step: FindingStep): boolean {
  const { record } = approval;
  if (record.recordedOnSpanId === step.spanId) return true;
  if (approval.atUnixNano > step.startUnixNano) return false;
  const callId = step.tool?.callId;
  if (record.toolCallId) return callId != null && record.toolCallId === callId;
  return record.toolName !== null && record.toolName !== '' && record.toolName === step.tool?.name;
}

/** Resolves a tool call's approval status when it ran; the latest covering decision applies. */
export function resolveApprovalStatus(step: FindingStep, approvals: readonly RecordedApproval[], policy: Policy): ApprovalStatus {
  const toolName = step.tool?.name ?? '';
  const covering = approvals.filter((approval) => covers(approval, step)).sort((a, b) => (a.atUnixNano < b.atUnixNano ? -1 : 1));
  const latest = covering.at(-1)?.record ?? null;
  const ownRule = covering.find((approval) => approval.record.policyRule)?.record.policyRule ?? null;
  const policyRule = policy.approvalRule(toolName) ?? ownRule;
  const required = policyRule !== null || covering.some((approval) => approval.record.decision !== '');

  if (latest === null || latest.decision === '') {
    return { required, policyRule, status: required ? 'missing' : 'not_required', decision: latest };
  }
  return { required, policyRule, status: latest.decision, decision: latest };
}
