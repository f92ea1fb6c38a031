import { SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  buildApprovalAttributes,
  buildAuthorityAttributes,
  buildDataAccessAttributes,
  type Approval,
  type Authority,
  type DataAccess,
} from './attributes.ts';

// Helpers that put the audit facts on a span. Without an explicit span they
// use the active one, which inside a tool's execute function of most agent
// SDKs is that tool call's span. Each returns false when there is no span to
// record on, so a caller can tell that the fact was lost.

const TRACER_NAME = '@agent-audit/otel';

function targetSpan(span: Span | undefined): Span | undefined {
  const target = span ?? trace.getActiveSpan();
  return target?.isRecording() ? target : undefined;
}

/** Records on whose behalf, as whom and with which credential the step runs. */
export function recordAuthority(authority: Authority, span?: Span): boolean {
  const target = targetSpan(span);
  target?.setAttributes(buildAuthorityAttributes(authority));
  return target !== undefined;
}

/** Records what data the step reads, writes, deletes, lists or sends. */
export function recordDataAccess(access: DataAccess, span?: Span): boolean {
  const target = targetSpan(span);
  target?.setAttributes(buildDataAccessAttributes(access));
  return target !== undefined;
}

/**
 * Records an approval decision on the span of the tool call it covers. The
 * audit trail counts a decision recorded on the call's own span whatever its
 * time, so this is the helper to use inside a tool's execute function.
 */
export function recordApproval(approval: Approval, span?: Span): boolean {
  const target = targetSpan(span);
  target?.setAttributes(buildApprovalAttributes(approval));
  return target !== undefined;
}

/**
 * Emits a span of its own for an approval decision, named `approval <tool>`,
 * under the active span. Use it where the decision is taken before the tool
 * call starts: the audit trail matches it to the call by `toolCallId`, or by
 * `toolName` when no call id is known, and ignores decisions taken after the
 * call started.
 */
export function traceApproval(approval: Approval, tracer: Tracer = trace.getTracer(TRACER_NAME)): void {
  const name = `approval ${approval.toolName ?? approval.toolCallId ?? 'tool call'}`;
  const span = tracer.startSpan(name, { attributes: buildApprovalAttributes(approval) });
  span.setStatus({ code: approval.decision === 'granted' ? SpanStatusCode.OK : SpanStatusCode.UNSET });
  span.end();
}
