import { z } from 'zod';
import { ApprovalDecisionSchema } from './audit-convention.ts';

// The investigator's facts on a timeline step (intent, authority, data,
// approval) and the findings computed per session.

export const AuthoritySchema = z.object({
  /** The human or service on whose behalf the step ran. */
  principal: z.string().nullable(),
  principalType: z.string().nullable(),
  agentId: z.string().nullable(),
  agentOwner: z.string().nullable(),
  environment: z.string().nullable(),
  credential: z
    .object({
      type: z.string(),
      /** An identifier of the credential, such as a key id; never the secret. */
      id: z.string().nullable(),
      lifetime: z.string().nullable(),
      scopes: z.array(z.string()),
    })
    .nullable(),
  /** From the initiating human to the downstream service, each entry `type:id`. */
  delegationChain: z.array(z.string()),
});
export type Authority = z.infer<typeof AuthoritySchema>;

export const DataAccessSchema = z.object({
  resources: z.array(z.string()),
  operation: z.string().nullable(),
  count: z.number().nullable(),
  classification: z.string().nullable(),
});
export type DataAccess = z.infer<typeof DataAccessSchema>;

export const ApprovalRecordSchema = z.object({
  approvalId: z.string().nullable(),
  decision: z.union([ApprovalDecisionSchema, z.literal('')]),
  decidedBy: z.string().nullable(),
  decidedAt: z.string().nullable(),
  requestedAt: z.string().nullable(),
  policyRule: z.string().nullable(),
  reason: z.string().nullable(),
  toolCallId: z.string().nullable(),
  toolName: z.string().nullable(),
  toolArguments: z.string().nullable(),
  source: z.enum(['audit', 'ai_sdk', 'tool_decision']),
  /** The step the decision was recorded on. */
  recordedOnSpanId: z.string(),
});
export type ApprovalRecord = z.infer<typeof ApprovalRecordSchema>;

/** A tool call's approval status at the time it ran. */
export const ApprovalStatusSchema = z.object({
  required: z.boolean(),
  /** The approvalRequired pattern of the policy that matched, or the span's own rule. */
  policyRule: z.string().nullable(),
  status: z.enum(['granted', 'denied', 'expired', 'pending', 'missing', 'not_required']),
  /** The decision that applied, when there was one. */
  decision: ApprovalRecordSchema.nullable(),
});
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

export const IntentSchema = z.object({
  /** The request that started the session, shortened; full text through `?content=full`. */
  request: z.string().nullable(),
  /** The model output that chose this step, shortened. */
  decision: z.string().nullable(),
  /** The model request step whose output chose this step. */
  decisionSpanId: z.string().nullable(),
});
export type Intent = z.infer<typeof IntentSchema>;

export const FindingTypeSchema = z.enum([
  'unapproved_tool_call',
  'action_after_denial',
  'out_of_scope_tool',
  'principal_mismatch',
  'long_lived_credential',
  'sensitive_read_then_egress',
  'identity_mismatch',
]);
export type FindingType = z.infer<typeof FindingTypeSchema>;

export const FindingSchema = z.object({
  type: FindingTypeSchema,
  severity: z.enum(['low', 'medium', 'high']),
  stepSpanId: z.string(),
  traceId: z.string(),
  message: z.string(),
  /** Other steps the finding rests on, such as the sensitive read before an egress. */
  relatedSpanIds: z.array(z.string()),
});
export type Finding = z.infer<typeof FindingSchema>;
