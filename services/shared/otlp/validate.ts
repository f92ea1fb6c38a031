import type { Span, SpanRejection, TracesData } from '../../../schemas/otlp.ts';
import { checkSpanId, checkTraceId } from './ids.ts';

/** Returns why a decoded span cannot be stored, or null when it can. */
export function checkSpan(span: Span): string | null {
  const problem =
    checkTraceId(span.traceId) ??
    checkSpanId(span.spanId) ??
    (span.parentSpanId === '' ? null : checkSpanId(span.parentSpanId, 'parentSpanId'));
  if (problem !== null) return problem;
  if (span.startTimeUnixNano === 0n) return 'startTimeUnixNano is missing';
  return null;
}

/**
 * Splits decoded trace data into the spans that can be stored and the ones
 * that cannot. A span without an end time is kept with its end set to its
 * start, because dropping it would hide a step from the investigator.
 */
export function partitionValidSpans(data: TracesData): { data: TracesData; rejections: SpanRejection[] } {
  const rejections: SpanRejection[] = [];
  const valid: TracesData = {
    resourceSpans: data.resourceSpans.map((resourceSpans) => ({
      ...resourceSpans,
      scopeSpans: resourceSpans.scopeSpans.map((scopeSpans) => ({
        ...scopeSpans,
        spans: scopeSpans.spans.filter((span) => {
          const problem = checkSpan(span);
          if (problem !== null) {
            rejections.push({ traceId: span.traceId, spanId: span.spanId, reason: problem });
            return false;
          }
          if (span.endTimeUnixNano === 0n) span.endTimeUnixNano = span.startTimeUnixNano;
          return true;
        }),
      })),
    })),
  };
  return { data: valid, rejections };
}

export function countSpans(data: TracesData): number {
  let count = 0;
  for (const resourceSpans of data.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) count += scopeSpans.spans.length;
  }
  return count;
}

/** Summarizes rejections for partialSuccess.errorMessage: counts per reason, not one line per span. */
export function summarizeRejections(rejections: readonly SpanRejection[]): string {
  const counts = new Map<string, number>();
  for (const rejection of rejections) counts.set(rejection.reason, (counts.get(rejection.reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} span(s) rejected: ${reason}`).join('; ');
}
