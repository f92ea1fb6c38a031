-- What the session list filters on beyond agents, principals and tools.
ALTER TABLE session_index
    ADD COLUMN IF NOT EXISTS Resources Array(String),
    ADD COLUMN IF NOT EXISTS ApprovalDecisions Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS CredentialTypes Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS AgentIds Array(String);
