-- Credentials of agents (kind 'ingest') and investigators (kind
-- 'investigator'). Only the SHA-256 hash of a token is stored. A token is
-- revoked by inserting its row again with RevokedAt set and a higher
-- Version; readers use FINAL, so the newest version of each TokenId wins.
CREATE TABLE IF NOT EXISTS access_tokens
(
    TokenId String,
    TokenHash String,
    Kind LowCardinality(String),
    Tenant String,
    Tenants Array(String),
    Role LowCardinality(String),
    Agent String,
    Description String,
    CreatedAt DateTime64(3),
    CreatedBy String,
    RevokedAt Nullable(DateTime64(3)),
    Version UInt64
)
ENGINE = ReplacingMergeTree(Version)
ORDER BY TokenId;
