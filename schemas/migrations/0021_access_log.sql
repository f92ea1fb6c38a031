-- Who read what and when: every read of a session, search, export and
-- evidence check, and every change of a legal hold or credential. Rows are
-- only ever added.
CREATE TABLE IF NOT EXISTS access_log
(
    Time DateTime64(3) DEFAULT now64(3),
    Principal String,
    Role LowCardinality(String),
    Tenants Array(String),
    Action LowCardinality(String),
    SessionId String,
    Method LowCardinality(String),
    Path String,
    Query String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(Time)
ORDER BY (Time, Principal);
