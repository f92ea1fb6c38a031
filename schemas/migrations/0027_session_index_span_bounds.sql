-- The timeline reads a trace's spans only from the days between the earliest
-- StartTime and the latest EndTime of the trace's session_index rows. Rows
-- written before that read existed took EndTime from the span ends alone, so
-- a span that ends before it starts could begin a day after every EndTime of
-- its trace and be left out. This adds a row that covers each such span. Running it twice
-- only repeats rows, which change no aggregate the readers take.
INSERT INTO session_index (Tenant, SessionId, TraceId, Explicit, SessionSource, StartTime, EndTime)
SELECT Tenant, SessionId, TraceId, SessionSource != 'trace_id', SessionSource, min(StartTime), max(StartTime)
FROM audit_events
WHERE EndTime < StartTime
GROUP BY Tenant, SessionId, TraceId, SessionSource;
