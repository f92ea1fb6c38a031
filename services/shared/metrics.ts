import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// Prometheus metrics of one process. Services started in the same process
// share one registry, so each of their /metrics endpoints serves all of them.

/** Reason the gateway rejected a request. */
export type RequestRejectReason =
  | 'overloaded'
  | 'unavailable'
  | 'undecodable'
  | 'invalid'
  | 'too_large'
  | 'unsupported_media_type'
  | 'unauthenticated'
  | 'rate_limited';

/** Reason decoded spans were not stored. */
export type SpanRejectReason = 'invalid' | 'overloaded' | 'unavailable';

const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const rowsBuckets = [1, 10, 50, 100, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000];

export function createMetrics() {
  const registry = new Registry();
  // Process CPU seconds and resident memory come from here; the benchmark
  // reads both per service.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  return {
    registry,
    gatewaySpansReceived: new Counter({
      name: 'agent_audit_gateway_spans_received_total',
      help: 'Spans decoded from OTLP requests, valid or not.',
      registers,
    }),
    gatewaySpansAccepted: new Counter({
      name: 'agent_audit_gateway_spans_accepted_total',
      help: 'Spans the gateway wrote to Kafka, or inserted in embedded mode, before responding 2xx.',
      registers,
    }),
    gatewaySpansRejected: new Counter({
      name: 'agent_audit_gateway_spans_rejected_total',
      help: 'Decoded spans the gateway did not store, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    gatewayRequestsRejected: new Counter({
      name: 'agent_audit_gateway_requests_rejected_total',
      help: 'OTLP requests rejected with an error status, by reason.',
      labelNames: ['reason'] as const,
      registers,
    }),
    gatewayRequestsInFlight: new Gauge({
      name: 'agent_audit_gateway_requests_in_flight',
      help: 'OTLP requests being handled.',
      registers,
    }),
    kafkaProduceDuration: new Histogram({
      name: 'agent_audit_kafka_produce_duration_seconds',
      help: 'Time from a gateway produce request to the acknowledgement of all in-sync replicas, or to the failure.',
      labelNames: ['outcome'] as const,
      buckets: secondsBuckets,
      registers,
    }),
    embeddedInsertQueueDepth: new Gauge({
      name: 'agent_audit_embedded_insert_queue_depth',
      help: 'Inserts the embedded-mode gateway holds, including the one running.',
      registers,
    }),
    clickhouseInsertDuration: new Histogram({
      name: 'agent_audit_clickhouse_insert_duration_seconds',
      help: 'Time to insert one batch into the three span tables, successful attempts only.',
      buckets: secondsBuckets,
      registers,
    }),
    clickhouseInsertErrors: new Counter({
      name: 'agent_audit_clickhouse_insert_errors_total',
      help: 'Failed attempts to insert a batch.',
      registers,
    }),
    writerBatchRows: new Histogram({
      name: 'agent_audit_writer_batch_rows',
      help: 'Spans per ClickHouse insert of the writer.',
      buckets: rowsBuckets,
      registers,
    }),
    writerSpansInserted: new Counter({
      name: 'agent_audit_writer_spans_inserted_total',
      help: 'Spans the writer inserted and then committed or tried to commit.',
      registers,
    }),
    writerBufferedRows: new Gauge({
      name: 'agent_audit_writer_buffered_rows',
      help: 'Spans the writer keeps in memory: the batch being filled plus the batch being inserted.',
      registers,
    }),
    writerConsumerLag: new Gauge({
      name: 'agent_audit_writer_consumer_lag',
      help: 'Messages between the consumer group\'s committed offset and the end of each partition.',
      labelNames: ['topic', 'partition'] as const,
      registers,
    }),
    writerDeadLetters: new Counter({
      name: 'agent_audit_writer_dead_letters_total',
      help: 'Messages sent to the dead-letter topic, by source topic.',
      labelNames: ['topic'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
