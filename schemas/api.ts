import { z } from 'zod';
import { StepKindSchema, StepStatusSchema } from './audit-event.ts';

// Requests and responses of the timeline API. Times are RFC 3339 strings in
// UTC with nine fractional digits, the nanosecond precision OTLP carries.

const rfc3339 = z.iso.datetime({ offset: true, precision: undefined });

export const SessionListQuerySchema = z
  .object({
    from: rfc3339.optional().describe('Only sessions active at or after this time.'),
    to: rfc3339.optional().describe('Only sessions that started before this time.'),
    agent: z.string().min(1).optional().describe('Only sessions in which this agent (name or id) acted.'),
    principal: z.string().min(1).optional().describe('Only sessions on behalf of this user or principal id.'),
    tool: z.string().min(1).optional().describe('Only sessions that called this tool.'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().min(1).optional().describe('nextCursor from the previous page.'),
  })
  .strict();

export type SessionListQuery = z.infer<typeof SessionListQuerySchema>;

export const SessionSummarySchema = z.object({
  sessionId: z.string(),
  start: z.string(),
  end: z.string(),
  agents: z.array(z.string()),
  principals: z.array(z.string()),
  tools: z.array(z.string()),
  models: z.array(z.string()),
  traceCount: z.number().int(),
});

export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const SessionListResponseSchema = z.object({
  sessions: z.array(SessionSummarySchema),
  nextCursor: z.string().nullable(),
});

export const StepSchema = z.object({
  kind: StepKindSchema,
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().nullable(),
  start: z.string(),
  end: z.string(),
  durationMs: z.number(),
  name: z.string(),
  status: StepStatusSchema,
  statusMessage: z.string().optional(),
  agent: z.string().nullable(),
  service: z.string().nullable(),
  principal: z.string().nullable(),
  depth: z.number().int().nonnegative(),
  /** True when the parent span never arrived; the step is then shown at the session root. */
  orphaned: z.boolean(),
  operation: z.string().nullable(),
  model: z.string().optional(),
  provider: z.string().optional(),
  usage: z.object({ inputTokens: z.number().nullable(), outputTokens: z.number().nullable() }).optional(),
  tool: z.object({ name: z.string(), callId: z.string().nullable() }).optional(),
  resource: z.string().optional(),
  mcp: z.object({ method: z.string(), sessionId: z.string().nullable() }).optional(),
  convention: z.string(),
});

export type Step = z.infer<typeof StepSchema>;

export const TimelineResponseSchema = z.object({
  sessionId: z.string(),
  traceIds: z.array(z.string()),
  steps: z.array(StepSchema),
});

export type TimelineResponse = z.infer<typeof TimelineResponseSchema>;

/** RFC 9457 problem details, the body of every API error. */
export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});

export type Problem = z.infer<typeof ProblemSchema>;
