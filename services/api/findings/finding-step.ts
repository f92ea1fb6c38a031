import type { StepKind } from '../../../schemas/audit-event.ts';
import type { ApprovalRecord, Authority, DataAccess } from '../../../schemas/investigation.ts';

/** The part of a timeline step that the finding rules read. */
export interface FindingStep {
  spanId: string;
  traceId: string;
  parentSpanId: string | null;
  kind: StepKind;
  name: string;
  /** Start time in nanoseconds since the epoch, the order the rules reason in. */
  startUnixNano: bigint;
  agent: string | null;
  tool: { name: string; callId: string | null } | null;
  authority: Authority;
  data: DataAccess;
  /** Approval decisions recorded on this step. */
  approvals: ApprovalRecord[];
}
