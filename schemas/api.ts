import { z } from 'zod';
import {
  ApprovalRecordSchema,
  ApprovalStatusSchema,
  AuthoritySchema,
  DataAccessSchema,
  FindingSchema,
  FindingTypeSchema,
  IntentSchema,
} from './investigation.ts';
import { StepKindSchema, StepStatusSchema } from './audit-event.ts';
import { ApprovalDecisionSchema } from './audit-convention.ts';

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
    resource: z.string().min(1).optional().describe('Only sessions that touched this resource URI.'),
    approval: ApprovalDecisionSchema.optional().describe('Only sessions with an approval decision of this kind.'),
    finding: FindingTypeSchema.optional().describe('Only sessions with a finding of this type.'),
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
  resources: z.array(z.string()),
  approvalDecisions: z.array(z.string()),
  traceCount: z.number().int(),
});

export type SessionSummary = z.infer<typeof SessionSummarySchema>;

export const SessionListResponseSchema = z.object({
  sessions: z.array(SessionSummarySchema),
  nextCursor: z.string().nullable(),
});

const SpanPointerSchema = z.object({ traceId: z.string(), spanId: z.string() });

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
  /** True when the parent span never arrived; `placedUnder` names the step it is shown under, if any. */
  orphaned: z.boolean(),
  operation: z.string().nullable(),
  model: z.string().optional(),
  provider: z.string().optional(),
  usage: z.object({ inputTokens: z.number().nullable(), outputTokens: z.number().nullable() }).optional(),
  tool: z.object({ name: z.string(), callId: z.string().nullable() }).optional(),
  resource: z.string().optional(),
  mcp: z.object({ method: z.string(), sessionId: z.string().nullable() }).optional(),
  convention: z.string(),
  /** Every convention the span matched, most specific first. */
  conventions: z.array(z.string()).optional(),
  /** Plain statements of what the timeline did with this step: placement, clock correction, cut values. */
  notes: z.array(z.string()).optional(),
  /** Step this one is shown under when that is not its own parent span, with the reason. */
  placedUnder: SpanPointerSchema.extend({ reason: z.string() }).optional(),
  /** Start used for ordering when the span's clock disagrees with its parent's; `start` stays as received. */
  displayStart: z.string().optional(),
  clockSkew: z.object({ correctionMs: z.number(), reason: z.string() }).optional(),
  /** On a model request: the tool calls it asked for and the spans that executed them. */
  toolCalls: z
    .array(
      z.object({
        callId: z.string(),
        name: z.string(),
        executed: z.boolean(),
        executedBy: z.array(SpanPointerSchema),
        /** `name` when the executing span carries no call id and was matched by tool name. */
        matchedBy: z.literal('name').optional(),
      }),
    )
    .optional(),
  /** On a tool call: the model request that asked for it, matched by tool call id. */
  requestedBy: SpanPointerSchema.optional(),
  /**
   * True for a step that no span stands for: a tool call a model requested
   * and nothing executed. It carries the trace and span id of the request.
   */
  synthetic: z.boolean().optional(),
  state: z.enum(['requested_not_executed']).optional(),
  /** On an agent step: `sub_agent` when it runs inside another agent, `handoff` when it takes over from one. */
  agentRelation: z.enum(['sub_agent', 'handoff']).optional(),
  relatedAgent: z.string().optional(),
  links: z.array(SpanPointerSchema.extend({ inSession: z.boolean() })).optional(),
  truncatedAttributes: z.array(z.string()).optional(),
  /** Log events folded into this step: GenAI messages, choices and operation details of its span. */
  events: z.array(z.object({ name: z.string(), time: z.string(), kind: z.string() })).optional(),
  /** `log` for a step that stands for a log record rather than a span; its spanId is derived from the record. */
  signal: z.enum(['log']).optional(),
  /** On an approval step from a coding agent's tool decision event. */
  decision: z.object({ decision: z.string(), source: z.string().nullable() }).optional(),
  /** Why the step ran: the session's request and the model output that chose it. */
  intent: IntentSchema.optional(),
  /** On whose behalf, as whom and with which credential the step ran. */
  authority: AuthoritySchema.optional(),
  /** What data the step touched. */
  data: DataAccessSchema.optional(),
  /** Approval decisions recorded on this step. */
  approvals: z.array(ApprovalRecordSchema).optional(),
  /** On a tool call: whether it needed approval, and the decision that applied. */
  approval: ApprovalStatusSchema.optional(),
  /** Types of the findings that point at this step. */
  findingTypes: z.array(FindingTypeSchema).optional(),
  /** Audit attributes present on the span with values of the wrong type or outside their range. */
  invalidAuditAttributes: z.array(z.string()).optional(),
});

export type Step = z.infer<typeof StepSchema>;

export const TimelineQuerySchema = z
  .object({
    content: z.enum(['summary', 'full']).default('summary').describe('`full` returns whole message texts in intent.'),
  })
  .strict();

export const TimelineResponseSchema = z.object({
  sessionId: z.string(),
  traceIds: z.array(z.string()),
  steps: z.array(StepSchema),
  findings: z.array(FindingSchema),
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
