export {
  AuditAttribute,
  TENANT_RESOURCE_ATTRIBUTE,
  buildApprovalAttributes,
  buildAuthorityAttributes,
  buildDataAccessAttributes,
  buildResourceAttributes,
  type AgentIdentity,
  type Approval,
  type ApprovalDecision,
  type Authority,
  type Credential,
  type CredentialType,
  type DataAccess,
  type DataClassification,
  type DataOperation,
  type PrincipalType,
} from './attributes.ts';
export {
  AuditTelemetryConfigError,
  DEFAULT_ENDPOINT,
  buildTracesUrl,
  readTokenFromFile,
  resolveConnection,
  type Connection,
  type ConnectionOptions,
} from './connection.ts';
export { recordApproval, recordAuthority, recordDataAccess, traceApproval } from './record.ts';
export { startAuditTelemetry, type AuditTelemetry, type AuditTelemetryOptions } from './telemetry.ts';
