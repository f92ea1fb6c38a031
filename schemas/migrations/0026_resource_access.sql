-- Who touched a resource, sorted by resource so that the access history of one
-- resource is a primary-key read. Filled by a materialized view from
-- audit_events, so every insert path (writer or embedded gateway) feeds it.
-- ReplacingMergeTree collapses the rows of a span inserted twice.
CREATE TABLE IF NOT EXISTS resource_access
(
    Resource String CODEC(ZSTD(1)),
    StartTime DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    Kind LowCardinality(String),
    Name String CODEC(ZSTD(1)),
    Operation LowCardinality(String),
    Classification LowCardinality(String),
    DataCount Nullable(UInt64),
    PrincipalId String CODEC(ZSTD(1)),
    AgentName LowCardinality(String),
    AgentId String CODEC(ZSTD(1)),
    CredentialType LowCardinality(String),
    Status LowCardinality(String),
    Tenant LowCardinality(String) DEFAULT 'default'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(StartTime)
ORDER BY (Resource, StartTime, TraceId, SpanId);

CREATE MATERIALIZED VIEW IF NOT EXISTS resource_access_mv TO resource_access AS
SELECT
    arrayJoin(DataResources) AS Resource,
    StartTime,
    TraceId,
    SpanId,
    SessionId,
    Kind,
    Name,
    DataOperation AS Operation,
    DataClassification AS Classification,
    DataCount,
    PrincipalId,
    AgentName,
    AgentId,
    CredentialType,
    Status,
    Tenant
FROM audit_events
WHERE notEmpty(DataResources);
