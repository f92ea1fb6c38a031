import type { Attributes } from '@opentelemetry/api';

// Attribute names of the audit trail's audit attribute convention, and
// builders that turn plain objects into span attributes. The names must stay
// equal to the ones the audit trail reads; a test in the audit trail's
// repository compares the two lists.

export const AuditAttribute = {
  principalId: 'audit.principal.id',
  principalType: 'audit.principal.type',
  agentId: 'audit.agent.id',
  agentOwner: 'audit.agent.owner',
  credentialType: 'audit.credential.type',
  credentialId: 'audit.credential.id',
  credentialLifetime: 'audit.credential.lifetime',
  credentialScopes: 'audit.credential.scopes',
  delegationChain: 'audit.delegation.chain',
  dataResource: 'audit.data.resource',
  dataOperation: 'audit.data.operation',
  dataCount: 'audit.data.count',
  dataClassification: 'audit.data.classification',
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

/**
 * Resource attribute naming the tenant the agent believes it writes to. The
 * audit trail files spans under the tenant of the ingest token, so this
 * value is informational: it is stored with the span's resource attributes.
 */
export const TENANT_RESOURCE_ATTRIBUTE = 'audit.tenant.id';

export type PrincipalType = 'user' | 'service' | 'agent';
export type CredentialType =
  | 'api_key'
  | 'static_key'
  | 'oauth_token'
  | 'workload_identity'
  | 'session_token'
  | 'password'
  | 'none';
export type DataOperation = 'read' | 'write' | 'delete' | 'list' | 'send';
export type DataClassification = 'public' | 'internal' | 'confidential' | 'restricted' | 'pii' | 'secret';
export type ApprovalDecision = 'granted' | 'denied' | 'expired' | 'pending';

export interface Credential {
  type: CredentialType;
  /** A key id, token `jti` or SPIFFE id. Never the secret itself. */
  id?: string;
  lifetime?: 'short_lived' | 'long_lived';
  scopes?: string[];
}

export interface Authority {
  /** The human or service on whose behalf the step runs. */
  principal?: string;
  principalType?: PrincipalType;
  credential?: Credential;
  /** From the initiating human to the downstream service, each entry `type:id`, e.g. `user:alice`. */
  delegationChain?: string[];
}

export interface DataAccess {
  /** One or more URIs: `postgresql:crm.customers`, `s3://bucket/key`, a document id. */
  resource: string | string[];
  operation: DataOperation;
  count?: number;
  classification?: DataClassification;
}

export interface Approval {
  decision: ApprovalDecision;
  /** A user id, or `policy:<rule>` for an automatic decision. */
  decidedBy: string;
  /** Defaults to the time the attributes are built. */
  decidedAt?: Date;
  requestedAt?: Date;
  approvalId?: string;
  policyRule?: string;
  reason?: string;
  /** The `gen_ai.tool.call.id` of the call the decision covers. */
  toolCallId?: string;
  toolName?: string;
  /** The exact arguments that were approved; objects are written as JSON. */
  toolArguments?: string | Record<string, unknown>;
}

export interface AgentIdentity {
  /** Agent name; also the OpenTelemetry `service.name` unless `serviceName` is given. */
  name: string;
  id?: string;
  /** Team or person accountable for the agent. */
  owner?: string;
}

function setIfPresent(attributes: Attributes, key: string, value: string | number | boolean | string[] | undefined): void {
  if (value === undefined || value === '') return;
  if (Array.isArray(value) && value.length === 0) return;
  attributes[key] = value;
}

export function buildAuthorityAttributes(authority: Authority): Attributes {
  const attributes: Attributes = {};
  setIfPresent(attributes, AuditAttribute.principalId, authority.principal);
  setIfPresent(attributes, AuditAttribute.principalType, authority.principalType);
  setIfPresent(attributes, AuditAttribute.delegationChain, authority.delegationChain);
  const credential = authority.credential;
  if (credential !== undefined) {
    setIfPresent(attributes, AuditAttribute.credentialType, credential.type);
    setIfPresent(attributes, AuditAttribute.credentialId, credential.id);
    setIfPresent(attributes, AuditAttribute.credentialLifetime, credential.lifetime);
    setIfPresent(attributes, AuditAttribute.credentialScopes, credential.scopes);
  }
  return attributes;
}

export function buildDataAccessAttributes(access: DataAccess): Attributes {
  if (access.count !== undefined && !(Number.isInteger(access.count) && access.count >= 0)) {
    throw new RangeError(`data access count must be a non-negative integer, got ${access.count}`);
  }
  const attributes: Attributes = {};
  setIfPresent(attributes, AuditAttribute.dataResource, access.resource);
  setIfPresent(attributes, AuditAttribute.dataOperation, access.operation);
  setIfPresent(attributes, AuditAttribute.dataCount, access.count);
  setIfPresent(attributes, AuditAttribute.dataClassification, access.classification);
  return attributes;
}

export function buildApprovalAttributes(approval: Approval, now: Date = new Date()): Attributes {
  const attributes: Attributes = {};
  setIfPresent(attributes, AuditAttribute.approvalId, approval.approvalId);
  setIfPresent(attributes, AuditAttribute.approvalRequired, true);
  setIfPresent(attributes, AuditAttribute.approvalPolicyRule, approval.policyRule);
  setIfPresent(attributes, AuditAttribute.approvalRequestedAt, approval.requestedAt?.toISOString());
  setIfPresent(attributes, AuditAttribute.approvalDecision, approval.decision);
  setIfPresent(attributes, AuditAttribute.approvalDecidedBy, approval.decidedBy);
  setIfPresent(attributes, AuditAttribute.approvalDecidedAt, (approval.decidedAt ?? now).toISOString());
  setIfPresent(attributes, AuditAttribute.approvalReason, approval.reason);
  setIfPresent(attributes, AuditAttribute.approvalToolCallId, approval.toolCallId);
  setIfPresent(attributes, AuditAttribute.approvalToolName, approval.toolName);
  const toolArguments = approval.toolArguments;
  setIfPresent(
    attributes,
    AuditAttribute.approvalToolArguments,
    typeof toolArguments === 'object' ? JSON.stringify(toolArguments) : toolArguments,
  );
  return attributes;
}

/** Resource attributes naming the agent, its owner, its tenant and its environment. */
export function buildResourceAttributes(options: {
  agent: AgentIdentity;
  serviceName?: string;
  tenant?: string;
  environment?: string;
}): Attributes {
  const attributes: Attributes = { 'service.name': options.serviceName ?? options.agent.name };
  setIfPresent(attributes, 'gen_ai.agent.name', options.agent.name);
  setIfPresent(attributes, 'gen_ai.agent.id', options.agent.id);
  setIfPresent(attributes, AuditAttribute.agentId, options.agent.id);
  setIfPresent(attributes, AuditAttribute.agentOwner, options.agent.owner);
  setIfPresent(attributes, TENANT_RESOURCE_ATTRIBUTE, options.tenant);
  setIfPresent(attributes, 'deployment.environment.name', options.environment);
  return attributes;
}
