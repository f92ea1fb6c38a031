-- Facts the convention readers add to each audit event: every convention a
-- span matched, its OTLP kind, the tool calls a model asked for (ids and
-- names, index-aligned), the JSON-RPC id of an MCP request, the span's links,
-- and the attribute keys whose values were cut at the storage cap.
ALTER TABLE audit_events
    ADD COLUMN IF NOT EXISTS Conventions Array(LowCardinality(String)),
    ADD COLUMN IF NOT EXISTS SpanKind LowCardinality(String),
    ADD COLUMN IF NOT EXISTS RequestedToolCallIds Array(String),
    ADD COLUMN IF NOT EXISTS RequestedToolNames Array(String),
    ADD COLUMN IF NOT EXISTS RpcRequestId String,
    ADD COLUMN IF NOT EXISTS LinkTraceIds Array(String),
    ADD COLUMN IF NOT EXISTS LinkSpanIds Array(String),
    ADD COLUMN IF NOT EXISTS TruncatedAttributes Array(String);
