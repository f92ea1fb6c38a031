-- Ids that tie a trace to traces of other services in the same piece of
-- agent work, when no session attribute does: an MCP request (session id
-- and JSON-RPC id) seen by both client and server, a model's tool call id
-- seen by the span that executed it, and span links between traces. The
-- timeline reads this table by CorrelationKey, the first column of its sort
-- key, to pull such traces into a session.
CREATE TABLE IF NOT EXISTS trace_correlations
(
    CorrelationKey String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    StartTime DateTime64(9) CODEC(Delta, ZSTD(1)),
    IngestedAt DateTime64(3) DEFAULT now64(3) CODEC(Delta, ZSTD(1))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(StartTime)
ORDER BY (CorrelationKey, TraceId)
SETTINGS index_granularity = 8192;
