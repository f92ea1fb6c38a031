import type { ErrorCode } from '../shared/errors.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics, RequestRejectReason, SpanRejectReason } from '../shared/metrics.ts';
import { PeriodicCounts } from '../shared/periodic-counts.ts';

const rejectReasonByCode: Record<ErrorCode, RequestRejectReason> = {
  invalid_request: 'invalid',
  unauthenticated: 'unauthenticated',
  forbidden: 'unauthenticated',
  not_found: 'invalid',
  unsupported_media_type: 'unsupported_media_type',
  payload_too_large: 'too_large',
  undecodable_body: 'undecodable',
  overloaded: 'overloaded',
  unavailable: 'unavailable',
  internal: 'unavailable',
};

export function rejectReasonOfCode(code: ErrorCode): RequestRejectReason {
  return rejectReasonByCode[code];
}

/**
 * Counters of the gateway: metrics for Prometheus, and rejections logged as
 * periodic counts so that a client retrying in a loop or an outage of Kafka
 * does not write one log line per request.
 */
export class GatewayTelemetry {
  readonly #metrics: Metrics;
  readonly #rejectedRequests: PeriodicCounts;
  readonly #rejectedSpans: PeriodicCounts;

  constructor(metrics: Metrics, logger: Logger, reportIntervalMs = 10_000) {
    this.#metrics = metrics;
    this.#rejectedRequests = new PeriodicCounts(logger, 'rejected OTLP requests', reportIntervalMs);
    this.#rejectedSpans = new PeriodicCounts(logger, 'rejected spans', reportIntervalMs);
  }

  requestStarted(): void {
    this.#metrics.gatewayRequestsInFlight.inc();
  }

  requestEnded(): void {
    this.#metrics.gatewayRequestsInFlight.dec();
  }

  requestRejected(reason: RequestRejectReason, error?: unknown): void {
    this.#metrics.gatewayRequestsRejected.inc({ reason });
    this.#rejectedRequests.add(reason, 1, error);
  }

  spansReceived(count: number): void {
    this.#metrics.gatewaySpansReceived.inc(count);
  }

  spansAccepted(count: number): void {
    this.#metrics.gatewaySpansAccepted.inc(count);
  }

  spansRejected(reason: SpanRejectReason, count: number, detail?: string): void {
    if (count === 0) return;
    this.#metrics.gatewaySpansRejected.inc({ reason }, count);
    this.#rejectedSpans.add(reason, count, detail);
  }

  /** Logs the counts not yet reported; called when the gateway stops. */
  flush(): void {
    this.#rejectedRequests.flush();
    this.#rejectedSpans.flush();
  }
}
