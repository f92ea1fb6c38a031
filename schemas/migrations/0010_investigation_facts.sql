-- Authority, data and approval facts of each step, read from the audit
-- attribute convention (schemas/audit-convention.md) and from the public
-- conventions. Approvals is a JSON array because one span can carry several
-- decisions (an AI SDK model request answering two approval requests);
-- ApprovalDecisions repeats their outcomes for filtering.
ALTER TABLE audit_events
    ADD COLUMN IF NOT EXISTS PrincipalType LowCardinality(String),
    ADD COLUMN IF NOT EXISTS AgentOwner String,
    ADD COLUMN IF NOT EXISTS Environment LowCardinality(String),
    ADD COLUMN IF NOT EXISTS CredentialType LowCardinality(String),
    ADD COLUMN IF NOT EXISTS CredentialId String,
    ADD COLUMN IF NOT EXISTS CredentialLifetime LowCardinality(String),
    ADD COLUMN IF NOT EXISTS CredentialScopes Array(String),
    ADD COLUMN IF NOT EXISTS DelegationChain Array(String),
    ADD COLUMN IF NOT EXISTS DataResources Array(String),
    ADD COLUMN IF NOT EXISTS DataOperation LowCardinality(String),
    ADD COLUMN IF NOT EXISTS DataCount Nullable(UInt64),
    ADD COLUMN IF NOT EXISTS DataClassification LowCardinality(String),
    ADD COLUMN IF NOT EXISTS Approvals String,
    ADD COLUMN IF NOT EXISTS ApprovalDecisions Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS InvalidAuditAttributes Array(String);
