import { z } from 'zod';

// The normalized audit model: one row per span, saying what kind of step the
// span was in an agent session. The raw span stays in otel_traces, reachable
// by (traceId, spanId).

export const StepKindSchema = z.enum([
  'agent',
  'model_request',
  'tool_call',
  'data_access',
  'approval',
  'span',
]);
export type StepKind = z.infer<typeof StepKindSchema>;

export const StepStatusSchema = z.enum(['unset', 'ok', 'error']);
export type StepStatus = z.infer<typeof StepStatusSchema>;

/** Which attribute convention a span was read with. */
export const ConventionSchema = z.enum(['gen_ai', 'mcp', 'none']);
export type Convention = z.infer<typeof ConventionSchema>;

export const AuditEventSchema = z.object({
  sessionId: z.string().min(1),
  /** Attribute that gave the session id, or `trace_id` for the fallback. */
  sessionSource: z.string(),
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
  parentSpanId: z.string().regex(/^([0-9a-f]{16})?$/),
  kind: StepKindSchema,
  name: z.string(),
  operation: z.string(),
  startTimeUnixNano: z.bigint(),
  endTimeUnixNano: z.bigint(),
  status: StepStatusSchema,
  statusMessage: z.string(),
  serviceName: z.string(),
  scopeName: z.string(),
  agentId: z.string(),
  agentName: z.string(),
  principalId: z.string(),
  model: z.string(),
  provider: z.string(),
  toolName: z.string(),
  toolCallId: z.string(),
  mcpMethod: z.string(),
  mcpSessionId: z.string(),
  resourceUri: z.string(),
  inputTokens: z.number().int().nonnegative().nullable(),
  outputTokens: z.number().int().nonnegative().nullable(),
  convention: ConventionSchema,
});

export type AuditEvent = z.infer<typeof AuditEventSchema>;
