import { z } from 'zod';

// The audit attribute convention: what the public OpenTelemetry conventions
// do not name yet (human approvals, authority and credentials, data
// classification), as span attributes, on log events, or both. The reference
// page with worked examples is audit-convention.md beside this file.

export const AuditAttribute = {
  // Authority: on whose behalf, as whom, with which credential.
  principalId: 'audit.principal.id',
  principalType: 'audit.principal.type',
  agentId: 'audit.agent.id',
  agentOwner: 'audit.agent.owner',
  credentialType: 'audit.credential.type',
  credentialId: 'audit.credential.id',
  credentialLifetime: 'audit.credential.lifetime',
  credentialScopes: 'audit.credential.scopes',
  delegationChain: 'audit.delegation.chain',
  // Data touched.
  dataResource: 'audit.data.resource',
  dataOperation: 'audit.data.operation',
  dataCount: 'audit.data.count',
  dataClassification: 'audit.data.classification',
  // Approval of a tool call.
  approvalId: 'audit.approval.id',
  approvalRequired: 'audit.approval.required',
  approvalPolicyRule: 'audit.approval.policy_rule',
  approvalRequestedAt: 'audit.approval.requested_at',
  approvalDecision: 'audit.approval.decision',
  approvalDecidedBy: 'audit.approval.decided_by',
  approvalDecidedAt: 'audit.approval.decided_at',
  approvalReason: 'audit.approval.reason',
  approvalToolCallId: 'audit.approval.tool_call.id',
  approvalToolName: 'audit.approval.tool.name',
  approvalToolArguments: 'audit.approval.tool.arguments',
} as const;

/** Event name of a log record or span event that records an approval decision. */
export const APPROVAL_EVENT_NAME = 'audit.approval';

export const PrincipalTypeSchema = z.enum(['user', 'service', 'agent']);

export const CredentialTypeSchema = z.enum([
  'api_key',
  'static_key',
  'oauth_token',
  'workload_identity',
  'session_token',
  'password',
  'none',
]);
export type CredentialType = z.infer<typeof CredentialTypeSchema>;

export const CredentialLifetimeSchema = z.enum(['short_lived', 'long_lived']);

export const DataOperationSchema = z.enum(['read', 'write', 'delete', 'list', 'send']);
export type DataOperation = z.infer<typeof DataOperationSchema>;

export const DataClassificationSchema = z.enum(['public', 'internal', 'confidential', 'restricted', 'pii', 'secret']);
export type DataClassification = z.infer<typeof DataClassificationSchema>;

/** Classifications that make a read sensitive for the egress finding. */
export const SENSITIVE_CLASSIFICATIONS: readonly DataClassification[] = ['confidential', 'restricted', 'pii', 'secret'];

export const ApprovalDecisionSchema = z.enum(['granted', 'denied', 'expired', 'pending']);
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;

const rfc3339 = z.iso.datetime({ offset: true });

/**
 * The audit attributes as they arrive, after OTLP decoding to plain values.
 * Every attribute is optional; a value of the wrong type or outside its enum
 * is reported by name instead of being guessed at.
 */
export const AuditAttributesSchema = z
  .object({
    [AuditAttribute.principalId]: z.string().min(1),
    [AuditAttribute.principalType]: PrincipalTypeSchema,
    [AuditAttribute.agentId]: z.string().min(1),
    [AuditAttribute.agentOwner]: z.string().min(1),
    [AuditAttribute.credentialType]: CredentialTypeSchema,
    [AuditAttribute.credentialId]: z.string().min(1),
    [AuditAttribute.credentialLifetime]: CredentialLifetimeSchema,
    [AuditAttribute.credentialScopes]: z.array(z.string()),
    [AuditAttribute.delegationChain]: z.array(z.string().regex(/^[a-z_]+:.+$/, 'expected "type:id"')),
    [AuditAttribute.dataResource]: z.union([z.string().min(1), z.array(z.string().min(1))]),
    [AuditAttribute.dataOperation]: DataOperationSchema,
    [AuditAttribute.dataCount]: z.number().int().nonnegative(),
    [AuditAttribute.dataClassification]: DataClassificationSchema,
    [AuditAttribute.approvalId]: z.string().min(1),
    [AuditAttribute.approvalRequired]: z.boolean(),
    [AuditAttribute.approvalPolicyRule]: z.string().min(1),
    [AuditAttribute.approvalRequestedAt]: rfc3339,
    [AuditAttribute.approvalDecision]: ApprovalDecisionSchema,
    [AuditAttribute.approvalDecidedBy]: z.string().min(1),
    [AuditAttribute.approvalDecidedAt]: rfc3339,
    [AuditAttribute.approvalReason]: z.string(),
    [AuditAttribute.approvalToolCallId]: z.string().min(1),
    [AuditAttribute.approvalToolName]: z.string().min(1),
    [AuditAttribute.approvalToolArguments]: z.string(),
  })
  .partial();

export type AuditAttributes = z.infer<typeof AuditAttributesSchema>;
