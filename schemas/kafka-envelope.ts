import { z } from 'zod';

// A message on the spans topic is an OTLP TracesData protobuf holding the
// spans of one session from one export request, keyed by session id so that
// a session's spans stay in order on one partition. The headers below are the
// envelope. Messages written by the OpenTelemetry Collector's Kafka exporter
// carry none of them, and the writer reads those as plain OTLP.

export const ENVELOPE_VERSION = '1';

export const EnvelopeHeadersSchema = z.object({
  'audit.envelope-version': z.literal(ENVELOPE_VERSION),
  'content-type': z.literal('application/x-protobuf'),
  /** Session id the gateway resolved; the writer resolves it again per span. */
  'audit.session-id': z.string().min(1),
  /** Time the gateway accepted the request, nanoseconds since the Unix epoch. */
  'audit.received-at': z.string().regex(/^\d+$/),
  /** Tenant of the credential the spans were sent with; absent in messages from before tenants existed. */
  'audit.tenant': z.string().min(1).optional(),
  /** The credential the spans were sent with, such as `token:<id>` or `jwt:<issuer>#<subject>`. */
  'audit.ingest-principal': z.string().optional(),
  /** Service or agent name the credential speaks for; empty when unbound. */
  'audit.ingest-agent': z.string().optional(),
  /**
   * What the value holds: an OTLP TracesData (`traces`, also when absent) or
   * an OTLP LogsData (`logs`). Logs share the spans topic and its session
   * key, so a session's records stay on the partition of its spans.
   */
  'audit.signal': z.enum(['traces', 'logs']).optional(),
});

export type EnvelopeHeaders = z.infer<typeof EnvelopeHeadersSchema>;

// The dead-letter topic contains the original bytes of a message that could not
// be decoded, with these headers added.
export const DeadLetterHeadersSchema = z.object({
  'audit.dead-letter.reason': z.string(),
  'audit.dead-letter.source-topic': z.string(),
  'audit.dead-letter.source-partition': z.string().regex(/^\d+$/),
  'audit.dead-letter.source-offset': z.string().regex(/^\d+$/),
  'audit.dead-letter.failed-at': z.string(),
});

export type DeadLetterHeaders = z.infer<typeof DeadLetterHeadersSchema>;
