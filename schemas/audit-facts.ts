import { z } from 'zod';
import { ApprovalDecisionSchema } from './audit-convention.ts';

// Authority, data and approval facts stored with each audit event, read from
// the audit attribute convention and the public conventions.

export const AuthorityFactsSchema = z.object({
  principalId: z.string(),
  principalType: z.string(),
  agentId: z.string(),
  agentOwner: z.string(),
  environment: z.string(),
  credentialType: z.string(),
  credentialId: z.string(),
  credentialLifetime: z.string(),
  credentialScopes: z.array(z.string()),
  delegationChain: z.array(z.string()),
});
export type AuthorityFacts = z.infer<typeof AuthorityFactsSchema>;

export const DataFactsSchema = z.object({
  resources: z.array(z.string()),
  operation: z.string(),
  count: z.number().int().nonnegative().nullable(),
  classification: z.string(),
});
export type DataFacts = z.infer<typeof DataFactsSchema>;

export const ApprovalFactsSchema = z.object({
  approvalId: z.string(),
  required: z.boolean().nullable(),
  policyRule: z.string(),
  requestedAt: z.string(),
  decision: z.union([ApprovalDecisionSchema, z.literal('')]),
  decidedBy: z.string(),
  decidedAt: z.string(),
  reason: z.string(),
  toolCallId: z.string(),
  toolName: z.string(),
  toolArguments: z.string(),
  /** Where the facts came from: audit attributes, AI SDK message parts, or a tool-decision event. */
  source: z.enum(['audit', 'ai_sdk', 'tool_decision']),
});
export type ApprovalFacts = z.infer<typeof ApprovalFactsSchema>;

export const AuditFactsSchema = z.object({
  authority: AuthorityFactsSchema,
  data: DataFactsSchema,
  approvals: z.array(ApprovalFactsSchema),
  /** Audit attributes that were present but invalid, by name. */
  invalidAttributes: z.array(z.string()),
});
export type AuditFacts = z.infer<typeof AuditFactsSchema>;

export function emptyAuditFacts(): AuditFacts {
  return {
    authority: {
      principalId: '',
      principalType: '',
      agentId: '',
      agentOwner: '',
      environment: '',
      credentialType: '',
      credentialId: '',
      credentialLifetime: '',
      credentialScopes: [],
      delegationChain: [],
    },
    data: { resources: [], operation: '', count: null, classification: '' },
    approvals: [],
    invalidAttributes: [],
  };
}
