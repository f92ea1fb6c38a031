import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Step } from '../../schemas/api.ts';
import { buildTimeline } from '../../services/api/timeline.ts';
import { normalizeTraces } from '../../services/shared/normalize/index.ts';
import { normalizeLogs } from '../../services/shared/normalize/logs.ts';
import { decodeLogs } from '../../services/shared/otlp/decode-logs.ts';
import { decodeTraces } from '../../services/shared/otlp/decode-traces.ts';

// Runs a real instrumented library against OpenTelemetry SDK providers that
// keep spans and log records in memory, and turns what they captured into
// the OTLP protobuf bodies the library's exporter would have sent.

export interface Capture {
  tracerProvider: TracerProvider;
  loggerProvider: LoggerProvider;
  /** The captured spans as an OTLP ExportTraceServiceRequest. */
  tracesBody(): Uint8Array;
  /** The captured log records as an OTLP ExportLogsServiceRequest; empty when there are none. */
  logsBody(): Uint8Array;
  spanCount(): number;
  logCount(): number;
  shutdown(): Promise<void>;
}

/**
 * Starts in-memory providers for one service. With `register`, they become
 * the global tracer provider, context manager and propagator, which
 * instrumentations that read the globals need; shutdown removes them.
 */
export function startCapture(serviceName: string, options: { register?: boolean } = {}): Capture {
  const resource = resourceFromAttributes({ 'service.name': serviceName });
  const spans = new InMemorySpanExporter();
  const logs = new InMemoryLogRecordExporter();
  const tracerProvider = new TracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
  const loggerProvider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: logs })] });
  if (options.register) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(tracerProvider);
  }
  return {
    tracerProvider,
    loggerProvider,
    tracesBody: () => ProtobufTraceSerializer.serializeRequest(spans.getFinishedSpans()) ?? new Uint8Array(),
    logsBody: () => ProtobufLogsSerializer.serializeRequest(logs.getFinishedLogRecords()) ?? new Uint8Array(),
    spanCount: () => spans.getFinishedSpans().length,
    logCount: () => logs.getFinishedLogRecords().length,
    async shutdown() {
      await tracerProvider.shutdown();
      await loggerProvider.shutdown();
      if (options.register) {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}

/** Decodes captured bodies as the gateway does and builds the timeline the API would return. */
export function reconstructTimeline(captures: readonly Capture[]): Step[] {
  const spanEvents = [];
  const logEvents = [];
  for (const capture of captures) {
    const traces = decodeTraces(capture.tracesBody(), 'protobuf');
    if (!traces.ok) throw new Error(traces.reason);
    spanEvents.push(...normalizeTraces(traces.data));
    if (capture.logCount() > 0) {
      const logs = decodeLogs(capture.logsBody(), 'protobuf');
      if (!logs.ok) throw new Error(logs.reason);
      logEvents.push(...normalizeLogs(logs.data, 0n));
    }
  }
  return buildTimeline(spanEvents, logEvents);
}
