import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK, type NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { buildResourceAttributes, type AgentIdentity } from './attributes.ts';
import { resolveConnection, type Connection, type ConnectionOptions } from './connection.ts';

type SpanExporter = NonNullable<NodeSDKConfiguration['traceExporter']>;
type Instrumentations = NodeSDKConfiguration['instrumentations'];

export interface AuditTelemetryOptions extends ConnectionOptions {
  agent: AgentIdentity;
  /** OpenTelemetry `service.name`; the agent name when omitted. */
  serviceName?: string;
  tenant?: string;
  /** `deployment.environment.name`, such as `prod`. */
  environment?: string;
  /** Extra instrumentations for the NodeSDK, such as an HTTP client instrumentation. */
  instrumentations?: Instrumentations;
}

/** A started OpenTelemetry SDK that sends spans to the audit trail's gateway. */
export interface AuditTelemetry {
  tracesUrl: string;
  tokenSource: Connection['tokenSource'];
  /** A tracer of the agent, named after its service. */
  tracer: Tracer;
  /** Flushes every pending span, stops the SDK and returns the export errors, empty when all spans went out. */
  shutdown(): Promise<string[]>;
}

function describeExportError(error: Error | undefined): string {
  if (error === undefined) return 'unknown error';
  // OTLPExporterError stores the HTTP status of a rejected request in `code`.
  const status = 'code' in error && typeof error.code === 'number' ? `HTTP ${error.code} ` : '';
  return `${status}${error.message}`;
}

/**
 * Wraps an exporter so that every failed export is recorded. The batch span
 * processor sends a failure of a timer-driven export only to the
 * OpenTelemetry diagnostic logger, and its shutdown rejects only for the
 * final flush.
 */
function recordExportErrors(exporter: SpanExporter, errors: string[]): SpanExporter {
  return {
    export(spans, resultCallback) {
      exporter.export(spans, (result) => {
        // 0 is ExportResultCode.SUCCESS in @opentelemetry/core.
        if (result.code !== 0) errors.push(`${spans.length} spans not exported: ${describeExportError(result.error)}`);
        resultCallback(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * Starts the OpenTelemetry Node SDK with the OTLP/HTTP protobuf trace
 * exporter pointed at the audit trail's gateway, the agent's bearer token,
 * and resource attributes for the agent's identity, owner, tenant and
 * environment.
 *
 * The SDK registers itself as the global tracer provider, context manager
 * and propagator. Shutdown removes those registrations, so a later call in
 * the same process can start a fresh SDK.
 */
export function startAuditTelemetry(options: AuditTelemetryOptions): AuditTelemetry {
  const connection = resolveConnection(options);
  const exportErrors: string[] = [];
  const headers: Record<string, string> = connection.token === null ? {} : { Authorization: `Bearer ${connection.token}` };
  const exporter = recordExportErrors(new OTLPTraceExporter({ url: connection.tracesUrl, headers }), exportErrors);
  const resourceAttributes = buildResourceAttributes(options);

  const sdk = new NodeSDK({
    resource: resourceFromAttributes(resourceAttributes),
    traceExporter: exporter,
    // Without explicit empty lists the SDK reads OTEL_METRICS_EXPORTER and
    // OTEL_LOGS_EXPORTER, which default to OTLP exporters that post to the
    // default collector endpoint, not to the gateway.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: options.instrumentations ?? [],
    // Host and process detectors would add attributes this package does not
    // promise; the resource above is the whole identity.
    resourceDetectors: [],
  });
  sdk.start();

  return {
    tracesUrl: connection.tracesUrl,
    tokenSource: connection.tokenSource,
    tracer: trace.getTracer(String(resourceAttributes['service.name'])),
    async shutdown() {
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
