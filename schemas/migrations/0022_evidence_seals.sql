-- Signed seals over the stored rows of a session. Each insert batch adds one
-- seal per session it wrote: the Merkle root over one leaf hash per span
-- (its otel_traces and audit_events rows in canonical form), the hash of the
-- session's previous seal, and an Ed25519 signature over all of it. Sorted
-- by SessionId so that verifying a session reads a primary-key range.
CREATE TABLE IF NOT EXISTS evidence_seals
(
    SessionId String,
    Tenant LowCardinality(String),
    Sequence UInt64,
    SealId String,
    CreatedAt DateTime64(3),
    Previous String,
    Root String,
    SpanKeys Array(String),
    LeafHashes Array(String),
    LeafTimes Array(Int64),
    KeyId String,
    Signature String,
    SealHash String,
    LegalHold UInt8 DEFAULT 0
)
ENGINE = MergeTree
ORDER BY (SessionId, Sequence, SealId);
