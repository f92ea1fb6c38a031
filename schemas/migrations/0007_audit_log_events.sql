-- One normalized row per log record: which GenAI or coding-agent event it
-- is, the span it belongs to, the tool calls a model chose, and tool
-- decisions. The timeline reads it by SessionId, and by TraceId for records
-- filed under a trace id before the trace's session was known.
CREATE TABLE IF NOT EXISTS audit_log_events
(
    SessionId String CODEC(ZSTD(1)),
    SessionSource LowCardinality(String),
    RecordId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    EventName LowCardinality(String),
    Kind LowCardinality(String),
    ServiceName LowCardinality(String),
    PrincipalId String CODEC(ZSTD(1)),
    RequestedToolCallIds Array(String),
    RequestedToolNames Array(String),
    ToolName LowCardinality(String),
    ToolCallId String CODEC(ZSTD(1)),
    Decision LowCardinality(String),
    DecisionSource LowCardinality(String),
    IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (SessionId, Timestamp, RecordId)
SETTINGS index_granularity = 8192;
