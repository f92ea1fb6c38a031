import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';

type SpanExporter = NodeSDKConfiguration['traceExporter'];

/** A started OpenTelemetry SDK that exports spans to one OTLP/HTTP endpoint. */
export type TraceExport = {
  tracesUrl: string;
  /** Flushes every pending span, shuts the SDK down and returns the export errors. */
  shutdown: () => Promise<string[]>;
};

/** Returns the OTLP/HTTP traces URL for a base endpoint such as http://127.0.0.1:4318. */
export function buildTracesUrl(otlpEndpoint: string): string {
  let url: URL;
  try {
    url = new URL(otlpEndpoint);
  } catch {
    throw new Error(`invalid OTLP endpoint ${JSON.stringify(otlpEndpoint)}: expected a URL such as http://127.0.0.1:4318`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}/v1/traces`;
}

function describeExportError(error: Error | undefined): string {
  if (error === undefined) {
    return 'unknown error';
  }
  // OTLPExporterError stores the HTTP status of a rejected request in `code`.
  const status = 'code' in error && typeof error.code === 'number' ? `HTTP ${error.code} ` : '';
  return `${status}${error.message}`;
}

/**
 * Wraps an exporter so that every failed export is recorded. The batch span
 * processor sends a failure of a timer-driven export only to the OpenTelemetry
 * diagnostic logger, and its shutdown rejects only for the final flush.
 */
function recordExportErrors(exporter: SpanExporter, errors: string[]): SpanExporter {
  return {
    export(spans, resultCallback) {
      exporter.export(spans, (result) => {
        // 0 is ExportResultCode.SUCCESS in @opentelemetry/core.
        if (result.code !== 0) {
          errors.push(`${spans.length} spans not exported: ${describeExportError(result.error)}`);
        }
        resultCallback(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * Starts the OpenTelemetry Node SDK with the OTLP protobuf trace exporter.
 *
 * The SDK registers itself as the global tracer provider, context manager and
 * propagator. Shutdown removes those registrations again, so a later call in
 * the same process can start a fresh SDK. This assumes that no other code in
 * the process registers OpenTelemetry globals.
 */
export function startTraceExport(options: { otlpEndpoint: string; serviceName: string }): TraceExport {
  const tracesUrl = buildTracesUrl(options.otlpEndpoint);
  const exportErrors: string[] = [];
  const exporter = recordExportErrors(new OTLPTraceExporter({ url: tracesUrl }), exportErrors);

  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    traceExporter: exporter,
    // Without explicit empty lists the SDK reads OTEL_METRICS_EXPORTER and
    // OTEL_LOGS_EXPORTER, which default to OTLP exporters that post to the
    // default endpoint regardless of otlpEndpoint.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();

  return {
    tracesUrl,
    shutdown: async () => {
      try {
        await sdk.shutdown();
      } catch (error) {
        // The final flush rejects with the same error that the exporter
        // reported, so it is recorded only when nothing else was.
        if (exportErrors.length === 0) {
          exportErrors.push(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
      return exportErrors;
    },
  };
}
