-- The tenant a span belongs to and the credential it was sent with. Rows
-- stored before these columns existed belong to the tenant "default" and
-- have no principal. LegalHold marks rows the retention TTL must keep.
ALTER TABLE otel_traces ADD COLUMN IF NOT EXISTS Tenant LowCardinality(String) DEFAULT 'default';
ALTER TABLE otel_traces ADD COLUMN IF NOT EXISTS IngestPrincipal String DEFAULT '';
ALTER TABLE otel_traces ADD COLUMN IF NOT EXISTS IngestAgent String DEFAULT '';
ALTER TABLE otel_traces ADD COLUMN IF NOT EXISTS LegalHold UInt8 DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS Tenant LowCardinality(String) DEFAULT 'default';
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS IngestPrincipal String DEFAULT '';
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS IngestAgent String DEFAULT '';
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS LegalHold UInt8 DEFAULT 0;
ALTER TABLE session_index ADD COLUMN IF NOT EXISTS Tenant LowCardinality(String) DEFAULT 'default';
ALTER TABLE session_index ADD COLUMN IF NOT EXISTS LegalHold UInt8 DEFAULT 0;
