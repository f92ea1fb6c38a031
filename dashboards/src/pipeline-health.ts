import type { DashboardSpec, PanelSpec } from './grafana-model.ts';

// Pipeline health reads the services' Prometheus metrics (services/shared/
// metrics.ts) through the Prometheus data source, and what ClickHouse itself
// records about ingestion (IngestedAt beside every span) through the
// ClickHouse data source.

const RATE = '[$__rate_interval]';

function promPanel(spec: Omit<PanelSpec, 'type' | 'width' | 'height'> & { width?: number }): PanelSpec {
  return { type: 'timeseries', width: spec.width ?? 8, height: 8, ...spec };
}

export const pipelineHealth: DashboardSpec = {
  uid: 'agent-audit-pipeline-health',
  title: 'Agent audit: pipeline health',
  description: 'Ingest rate, rejects by reason, Kafka lag, ClickHouse insert latency and errors, and dead letters.',
  tags: ['agent-audit'],
  timeFrom: 'now-6h',
  variables: [],
  panels: [
    promPanel({
      title: 'Ingest rate',
      description: 'Spans per second the gateway decoded, and those it stored in Kafka (or inserted in embedded mode).',
      unit: 'ops',
      prometheus: [
        { expr: `sum(rate(agent_audit_gateway_spans_received_total${RATE}))`, legend: 'received' },
        { expr: `sum(rate(agent_audit_gateway_spans_accepted_total${RATE}))`, legend: 'accepted' },
        { expr: `sum(rate(agent_audit_writer_spans_inserted_total${RATE}))`, legend: 'inserted by writers' },
      ],
    }),
    promPanel({
      title: 'Rejected requests by reason',
      description: 'OTLP requests per second that received an error response: overloaded, unavailable, undecodable, too large, unauthenticated, rate limited.',
      unit: 'reqps',
      stacked: true,
      prometheus: [{ expr: `sum by (reason) (rate(agent_audit_gateway_requests_rejected_total${RATE}))`, legend: '{{reason}}' }],
    }),
    promPanel({
      title: 'Rejected spans by reason',
      description: 'Decoded spans the gateway did not store, per second.',
      unit: 'ops',
      stacked: true,
      prometheus: [{ expr: `sum by (reason) (rate(agent_audit_gateway_spans_rejected_total${RATE}))`, legend: '{{reason}}' }],
    }),
    promPanel({
      title: 'Kafka consumer lag',
      description: "Messages between the writers' committed offsets and the end of each partition.",
      prometheus: [{ expr: 'sum by (topic, partition) (agent_audit_writer_consumer_lag)', legend: '{{topic}}/{{partition}}' }],
    }),
    promPanel({
      title: 'Kafka produce latency',
      description: 'Time until all in-sync replicas acknowledged a gateway produce request, 50th and 95th percentile.',
      unit: 's',
      prometheus: [
        { expr: `histogram_quantile(0.5, sum by (le) (rate(agent_audit_kafka_produce_duration_seconds_bucket${RATE})))`, legend: 'p50' },
        { expr: `histogram_quantile(0.95, sum by (le) (rate(agent_audit_kafka_produce_duration_seconds_bucket${RATE})))`, legend: 'p95' },
      ],
    }),
    promPanel({
      title: 'ClickHouse insert latency',
      description: 'Time to insert one batch into the span tables, 50th and 95th percentile of successful attempts.',
      unit: 's',
      prometheus: [
        { expr: `histogram_quantile(0.5, sum by (le) (rate(agent_audit_clickhouse_insert_duration_seconds_bucket${RATE})))`, legend: 'p50' },
        { expr: `histogram_quantile(0.95, sum by (le) (rate(agent_audit_clickhouse_insert_duration_seconds_bucket${RATE})))`, legend: 'p95' },
      ],
    }),
    promPanel({
      title: 'ClickHouse insert errors',
      description: 'Failed insert attempts per second; the writer retries them.',
      unit: 'ops',
      prometheus: [{ expr: `sum(rate(agent_audit_clickhouse_insert_errors_total${RATE}))`, legend: 'errors' }],
    }),
    promPanel({
      title: 'Dead letters',
      description: 'Messages sent to the dead-letter topic per second, by the topic they came from.',
      unit: 'ops',
      prometheus: [{ expr: `sum by (topic) (rate(agent_audit_writer_dead_letters_total${RATE}))`, legend: '{{topic}}' }],
    }),
    promPanel({
      title: 'Writer buffer and batch size',
      description: 'Spans the writers hold in memory, and the median spans per insert.',
      prometheus: [
        { expr: 'sum(agent_audit_writer_buffered_rows)', legend: 'buffered' },
        { expr: `histogram_quantile(0.5, sum by (le) (rate(agent_audit_writer_batch_rows_bucket${RATE})))`, legend: 'median batch' },
      ],
    }),
    {
      title: 'Spans stored by tenant',
      description: 'Spans that reached ClickHouse per interval, by tenant (from the IngestedAt column).',
      type: 'timeseries',
      width: 8,
      height: 8,
      core: true,
      stacked: true,
      clickhouse: {
        sql: `
SELECT $__timeInterval(IngestedAt) AS time, Tenant AS tenant, count() AS spans
FROM otel_traces
WHERE $__timeFilter(IngestedAt)
GROUP BY time, tenant
ORDER BY time`,
      },
    },
    {
      title: 'Ingest delay',
      description: 'Time from the end of a span to its row in ClickHouse: export, gateway, Kafka and writer together, 50th and 95th percentile.',
      type: 'timeseries',
      width: 8,
      height: 8,
      core: true,
      unit: 's',
      clickhouse: {
        sql: `
SELECT $__timeInterval(IngestedAt) AS time,
  quantile(0.5)(delay_ms) / 1000 AS p50, quantile(0.95)(delay_ms) / 1000 AS p95
FROM (
  SELECT IngestedAt,
    greatest(dateDiff('millisecond', Timestamp + toIntervalNanosecond(Duration), IngestedAt), 0) AS delay_ms
  FROM otel_traces
  WHERE $__timeFilter(IngestedAt)
)
GROUP BY time
ORDER BY time`,
      },
    },
    {
      title: 'Spans stored by service',
      description: 'Spans in ClickHouse per emitting service in the time range, with the last arrival.',
      type: 'table',
      width: 8,
      height: 8,
      core: true,
      clickhouse: {
        sql: `
SELECT ServiceName AS service, Tenant AS tenant, count() AS spans, uniqExact(TraceId) AS traces, max(IngestedAt) AS last_ingested
FROM otel_traces
WHERE $__timeFilter(IngestedAt)
GROUP BY service, tenant
ORDER BY spans DESC`,
      },
    },
  ],
};
