-- Which traces belong to which session, with per-session facts for the
-- session list. The writer adds one row per (session, trace) in each batch it
-- inserts. A trace whose spans name no session is filed under its own trace id
-- with Explicit = 0; when a later span of that trace names a session, the
-- readers file the trace under that session instead, so a session id that
-- arrives on the root span after its children still gathers them.
-- The timeline reads this table by SessionId, the first column of its sort
-- key, and then audit_events by TraceId: two primary-key reads, no scan.
CREATE TABLE IF NOT EXISTS session_index
(
    SessionId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    Explicit UInt8,
    SessionSource LowCardinality(String),
    StartTime DateTime64(9) CODEC(Delta, ZSTD(1)),
    EndTime DateTime64(9) CODEC(Delta, ZSTD(1)),
    Agents Array(LowCardinality(String)),
    Principals Array(String),
    Tools Array(LowCardinality(String)),
    Models Array(LowCardinality(String)),
    IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_start StartTime TYPE minmax GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(StartTime)
ORDER BY (SessionId, TraceId)
SETTINGS index_granularity = 8192;
