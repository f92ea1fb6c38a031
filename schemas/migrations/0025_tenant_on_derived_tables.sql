-- The tenant of rows the writer stores beside spans: trace correlations and
-- log records. Rows stored before this column existed belong to "default".
ALTER TABLE trace_correlations ADD COLUMN IF NOT EXISTS Tenant LowCardinality(String) DEFAULT 'default';
ALTER TABLE otel_logs ADD COLUMN IF NOT EXISTS Tenant LowCardinality(String) DEFAULT 'default';
ALTER TABLE audit_log_events ADD COLUMN IF NOT EXISTS Tenant LowCardinality(String) DEFAULT 'default';
