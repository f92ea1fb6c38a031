import { z } from 'zod';
import { SessionSummarySchema, StepSchema } from './api.ts';
import { EvidenceSchema } from './evidence.ts';
import { FindingSchema, FindingTypeSchema } from './investigation.ts';

// Responses of the inventory, resource history and evidence export endpoints.

export const AgentSummarySchema = z.object({
  /** The agent's id, or its name when its spans carry no id. */
  id: z.string(),
  name: z.string().nullable(),
  owner: z.string().nullable(),
  environment: z.string().nullable(),
  tools: z.array(z.string()),
  credentialTypes: z.array(z.string()),
  firstSeen: z.string(),
  lastSeen: z.string(),
  sessions: z.number().int(),
});

export const AgentListResponseSchema = z.object({ agents: z.array(AgentSummarySchema) });

export const ResourceAccessQuerySchema = z
  .object({
    prefix: z.enum(['true', 'false']).default('false').describe('`true` matches every resource under the given URI prefix.'),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const ResourceAccessSchema = z.object({
  resource: z.string(),
  time: z.string(),
  sessionId: z.string(),
  traceId: z.string(),
  spanId: z.string(),
  kind: z.string(),
  name: z.string(),
  operation: z.string().nullable(),
  classification: z.string().nullable(),
  count: z.number().nullable(),
  principal: z.string().nullable(),
  agent: z.string().nullable(),
  credentialType: z.string().nullable(),
  status: z.string(),
});

export const ResourceAccessResponseSchema = z.object({
  resource: z.string(),
  accesses: z.array(ResourceAccessSchema),
});

export const ExportQuerySchema = z
  .object({
    format: z.enum(['json', 'ndjson']).optional().describe('`ndjson` writes one record per line; also chosen by Accept: application/x-ndjson.'),
  })
  .strict();

export const RawSpanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string(),
  name: z.string(),
  kind: z.string(),
  serviceName: z.string(),
  start: z.string(),
  durationNano: z.string(),
  statusCode: z.string(),
  statusMessage: z.string(),
  scope: z.object({ name: z.string(), version: z.string() }),
  resourceAttributes: z.record(z.string(), z.string()),
  attributes: z.record(z.string(), z.string()),
  events: z.array(z.object({ time: z.string(), name: z.string(), attributes: z.record(z.string(), z.string()) })),
  links: z.array(z.object({ traceId: z.string(), spanId: z.string(), attributes: z.record(z.string(), z.string()) })),
});

export const SessionExportSchema = z.object({
  exportFormat: z.literal('agent-audit-session/1'),
  exportedAt: z.string(),
  sessionId: z.string(),
  traceIds: z.array(z.string()),
  steps: z.array(StepSchema),
  findings: z.array(FindingSchema),
  spans: z.array(RawSpanSchema),
  evidence: EvidenceSchema,
});

export type SessionExport = z.infer<typeof SessionExportSchema>;

export const FindingFilterScanSchema = z.object({
  examined: z.number().int(),
  truncated: z.boolean(),
});

export const SessionSearchResponseSchema = z.object({
  sessions: z.array(SessionSummarySchema.extend({ findingTypes: z.array(FindingTypeSchema).optional() })),
  nextCursor: z.string().nullable(),
  scan: FindingFilterScanSchema.optional(),
});
