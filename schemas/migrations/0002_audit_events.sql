-- One normalized row per span: what kind of step it was in an agent session
-- and who, which model and which tool were involved. Sorted by (TraceId,
-- SpanId) for the same reasons as otel_traces: the timeline reads a session's
-- traces by primary key, and redelivered spans collapse on merge.
CREATE TABLE IF NOT EXISTS audit_events
(
    SessionId String CODEC(ZSTD(1)),
    SessionSource LowCardinality(String),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    Kind LowCardinality(String),
    Name String CODEC(ZSTD(1)),
    Operation LowCardinality(String),
    StartTime DateTime64(9) CODEC(Delta, ZSTD(1)),
    EndTime DateTime64(9) CODEC(Delta, ZSTD(1)),
    Status LowCardinality(String),
    StatusMessage String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String),
    ScopeName LowCardinality(String),
    AgentId String CODEC(ZSTD(1)),
    AgentName LowCardinality(String),
    PrincipalId String CODEC(ZSTD(1)),
    Model LowCardinality(String),
    Provider LowCardinality(String),
    ToolName LowCardinality(String),
    ToolCallId String CODEC(ZSTD(1)),
    McpMethod LowCardinality(String),
    McpSessionId String CODEC(ZSTD(1)),
    ResourceUri String CODEC(ZSTD(1)),
    InputTokens Nullable(UInt64),
    OutputTokens Nullable(UInt64),
    Convention LowCardinality(String),
    IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1))
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(StartTime)
ORDER BY (TraceId, SpanId)
SETTINGS index_granularity = 8192;
