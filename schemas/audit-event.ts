import { z } from 'zod';
import { AuditFactsSchema } from './audit-facts.ts';

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
export const ConventionSchema = z.enum([
  'gen_ai',
  'mcp',
  'openinference',
  'vercel_ai',
  'traceloop',
  'langfuse',
  'none',
]);
export type Convention = z.infer<typeof ConventionSchema>;

export const RequestedToolCallSchema = z.object({ id: z.string(), name: z.string() });
export type RequestedToolCall = z.infer<typeof RequestedToolCallSchema>;

export const SpanReferenceSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/),
  spanId: z.string().regex(/^[0-9a-f]{16}$/),
});
export type SpanReference = z.infer<typeof SpanReferenceSchema>;

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
  /** Every convention the span's attributes or scope matched, most specific first. */
  conventions: z.array(ConventionSchema),
  /** OTLP span kind in lower case: internal, server, client, producer, consumer or unspecified. */
  spanKind: z.string(),
  /** Tool calls the model asked for in its output messages, with the ids it gave them. */
  requestedToolCalls: z.array(RequestedToolCallSchema),
  /** JSON-RPC request id of an MCP span; with mcpSessionId it ties a client span to its server span. */
  rpcRequestId: z.string(),
  /** Span links, which point at spans that caused this one, often in another trace. */
  links: z.array(SpanReferenceSchema),
  /** Attribute keys whose values were longer than the storage cap and were cut. */
  truncatedAttributes: z.array(z.string()),
  /** Authority, data and approval facts for the investigator. */
  facts: AuditFactsSchema,
  /** The credential the span was sent with and the agent it is bound to; set when read back from storage. */
  ingestPrincipal: z.string().optional(),
  ingestAgent: z.string().optional(),
});

export type AuditEvent = z.infer<typeof AuditEventSchema>;
