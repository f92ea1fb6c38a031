-- Sessions exempt from the retention TTL. Setting or releasing a hold adds a
-- row with a higher Version; the newest row per (Tenant, SessionId) is in force.
CREATE TABLE IF NOT EXISTS legal_holds
(
    Tenant LowCardinality(String),
    SessionId String,
    Active UInt8,
    Reason String,
    ChangedBy String,
    ChangedAt DateTime64(3),
    Version UInt64
)
ENGINE = ReplacingMergeTree(Version)
ORDER BY (Tenant, SessionId);
