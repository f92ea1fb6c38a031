import { ApprovalFactsSchema, type ApprovalFacts, type AuditFacts } from '../../../schemas/audit-facts.ts';

// How the investigator facts of an audit event map to audit_events columns
// (migration 0010), in both directions.

export const AUDIT_FACT_COLUMNS = [
  'PrincipalType',
  'AgentOwner',
  'Environment',
  'CredentialType',
  'CredentialId',
  'CredentialLifetime',
  'CredentialScopes',
  'DelegationChain',
  'DataResources',
  'DataOperation',
  'DataCount',
  'DataClassification',
  'Approvals',
  'ApprovalDecisions',
  'InvalidAuditAttributes',
] as const;

export interface AuditFactColumns {
  PrincipalType: string;
  AgentOwner: string;
  Environment: string;
  CredentialType: string;
  CredentialId: string;
  CredentialLifetime: string;
  CredentialScopes: string[];
  DelegationChain: string[];
  DataResources: string[];
  DataOperation: string;
  DataCount: number | string | null;
  DataClassification: string;
  Approvals: string;
  ApprovalDecisions: string[];
  InvalidAuditAttributes: string[];
}

export function toAuditFactColumns(facts: AuditFacts): AuditFactColumns {
  const { authority, data, approvals } = facts;
  return {
    PrincipalType: authority.principalType,
    AgentOwner: authority.agentOwner,
    Environment: authority.environment,
    CredentialType: authority.credentialType,
    CredentialId: authority.credentialId,
    CredentialLifetime: authority.credentialLifetime,
    CredentialScopes: authority.credentialScopes,
    DelegationChain: authority.delegationChain,
    DataResources: data.resources,
    DataOperation: data.operation,
    DataCount: data.count,
    DataClassification: data.classification,
    Approvals: approvals.length === 0 ? '' : JSON.stringify(approvals),
    ApprovalDecisions: [...new Set(approvals.map((approval) => approval.decision).filter(Boolean))],
    InvalidAuditAttributes: facts.invalidAttributes,
  };
}

function parseApprovals(text: string): ApprovalFacts[] {
  if (text === '') return [];
  try {
    const parsed = ApprovalFactsSchema.array().safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

/** Rebuilds the facts of a row; rows stored before migration 0010 read as empty facts. */
export function fromAuditFactColumns(row: AuditFactColumns, principalId: string, agentId: string): AuditFacts {
  return {
    authority: {
      principalId,
      principalType: row.PrincipalType ?? '',
      agentId,
      agentOwner: row.AgentOwner ?? '',
      environment: row.Environment ?? '',
      credentialType: row.CredentialType ?? '',
      credentialId: row.CredentialId ?? '',
      credentialLifetime: row.CredentialLifetime ?? '',
      credentialScopes: row.CredentialScopes ?? [],
      delegationChain: row.DelegationChain ?? [],
    },
    data: {
      resources: row.DataResources ?? [],
      operation: row.DataOperation ?? '',
      count: row.DataCount === null || row.DataCount === undefined ? null : Number(row.DataCount),
      classification: row.DataClassification ?? '',
    },
    approvals: parseApprovals(row.Approvals ?? ''),
    invalidAttributes: row.InvalidAuditAttributes ?? [],
  };
}
