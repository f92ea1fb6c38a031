import { z } from 'zod';
import {
  AgentListResponseSchema,
  AgentSummarySchema,
  ExportQuerySchema,
  ResourceAccessQuerySchema,
  ResourceAccessResponseSchema,
  SessionExportSchema,
  SessionSearchResponseSchema,
} from '../../schemas/api-investigation.ts';
import { ProblemSchema, SessionListQuerySchema, TimelineQuerySchema, TimelineResponseSchema } from '../../schemas/api.ts';
import { EvidenceSchema, VerifyResultSchema } from '../../schemas/evidence.ts';
import { AccessLogQuerySchema, LegalHoldBodySchema, NewTokenSchema } from './admin-routes.ts';

// The OpenAPI 3.1 description of the API, generated from the same zod
// schemas that validate requests and shape responses, so the two cannot
// drift apart. Every route the app serves must be listed in `operations`;
// a test compares this list with the app's routes.

export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI path template, `{name}` for parameters. */
  path: string;
  summary: string;
  tags: string[];
  pathParameters?: Record<string, string>;
  query?: z.ZodObject;
  /** JSON request body, for operations that take one. */
  requestBody?: z.ZodType;
  /** Responses by status: a zod schema for JSON, or a media type and description for other bodies. */
  responses: Record<number, z.ZodType | { mediaType: string; description: string }>;
}

export const operations: ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/sessions',
    summary: 'List sessions, newest first, with filters and cursor pagination',
    tags: ['sessions'],
    query: SessionListQuerySchema,
    responses: { 200: SessionSearchResponseSchema, 400: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/sessions/{sessionId}/timeline',
    summary: "A session's steps with intent, authority, data and approval, and its findings",
    tags: ['sessions'],
    pathParameters: { sessionId: 'Session id, as listed by GET /v1/sessions.' },
    query: TimelineQuerySchema,
    responses: { 200: TimelineResponseSchema, 404: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/sessions/{sessionId}/export',
    summary: 'The whole session as one evidence document: steps, findings and raw spans',
    tags: ['sessions'],
    pathParameters: { sessionId: 'Session id.' },
    query: ExportQuerySchema,
    responses: {
      200: SessionExportSchema,
      404: ProblemSchema,
    },
  },
  {
    method: 'get',
    path: '/v1/agents',
    summary: 'Every agent seen, with its tools, credentials and activity',
    tags: ['inventory'],
    responses: { 200: AgentListResponseSchema },
  },
  {
    method: 'get',
    path: '/v1/agents/{agentId}',
    summary: 'One agent of the inventory',
    tags: ['inventory'],
    pathParameters: { agentId: 'Agent id, or its name when its spans carry no id.' },
    responses: { 200: AgentSummarySchema, 404: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/resources/{resource}/access',
    summary: 'Who touched a resource, when, and in which session',
    tags: ['inventory'],
    pathParameters: { resource: 'Resource URI, percent-encoded as one path segment.' },
    query: ResourceAccessQuerySchema,
    responses: { 200: ResourceAccessResponseSchema, 400: ProblemSchema },
  },
  {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    responses: { 200: { mediaType: 'application/json', description: 'The service is alive' } },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: ClickHouse reachable and migrations applied',
    tags: ['operations'],
    responses: {
      200: { mediaType: 'application/json', description: 'Every check passed' },
      503: { mediaType: 'application/json', description: 'A check failed; the body names it' },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tags: ['operations'],
    responses: { 200: { mediaType: 'text/plain', description: 'Prometheus text exposition format' } },
  },
  {
    method: 'get',
    path: '/ui',
    summary: 'Redirects to the session list page',
    tags: ['pages'],
    responses: { 302: { mediaType: 'text/plain', description: 'Redirect to /ui/sessions' } },
  },
  {
    method: 'get',
    path: '/ui/sessions',
    summary: 'Session list page with the search filters; the page asks for an investigator token',
    tags: ['pages'],
    responses: { 200: { mediaType: 'text/html', description: 'The page shell; its data comes from /v1/sessions' } },
  },
  {
    method: 'get',
    path: '/ui/sessions/{sessionId}',
    summary: 'Session page: a waterfall of the steps with findings, approvals and the facts of each step',
    tags: ['pages'],
    pathParameters: { sessionId: 'Session id, as listed by GET /v1/sessions.' },
    responses: { 200: { mediaType: 'text/html', description: 'The page shell; its data comes from the timeline endpoint' } },
  },
  {
    method: 'get',
    path: '/ui/assets/{file}',
    summary: 'Scripts and styles of the pages',
    tags: ['pages'],
    pathParameters: { file: 'File name, such as app.js or styles.css.' },
    responses: { 200: { mediaType: 'text/javascript', description: 'An ES module or a style sheet' }, 404: ProblemSchema },
  },
  {
    method: 'get',
    path: '/ui/vendor/{file}',
    summary: 'Preact and htm as ES modules, served from the installed packages',
    tags: ['pages'],
    pathParameters: { file: 'preact.js, preact-hooks.js or htm.js.' },
    responses: { 200: { mediaType: 'text/javascript', description: 'An ES module' }, 404: ProblemSchema },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tags: ['meta'],
    responses: { 200: { mediaType: 'application/json', description: 'OpenAPI 3.1 document' } },
  },
];

const json = (description: string) => ({ mediaType: 'application/json', description });

// Evidence, token, access-log and legal-hold routes (evidence-routes.ts and
// admin-routes.ts).
operations.push(
  {
    method: 'get',
    path: '/v1/sessions/{sessionId}/verify',
    summary: "Checks the session's stored rows against their signed seals",
    tags: ['evidence'],
    pathParameters: { sessionId: 'Session id.' },
    responses: { 200: VerifyResultSchema, 403: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/sessions/{sessionId}/evidence',
    summary: "The session's canonical rows and seals, for offline verification",
    tags: ['evidence'],
    pathParameters: { sessionId: 'Session id.' },
    responses: { 200: EvidenceSchema, 403: ProblemSchema },
  },
  {
    method: 'post',
    path: '/v1/admin/tokens',
    summary: 'Creates an ingest or investigator token; the token is shown only in this response',
    tags: ['administration'],
    requestBody: NewTokenSchema,
    responses: { 201: json('The token and its record'), 400: ProblemSchema, 403: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/admin/tokens',
    summary: 'Lists token records (hashes and metadata, never tokens)',
    tags: ['administration'],
    responses: { 200: json('Token records'), 403: ProblemSchema },
  },
  {
    method: 'delete',
    path: '/v1/admin/tokens/{tokenId}',
    summary: 'Revokes a token',
    tags: ['administration'],
    pathParameters: { tokenId: 'Token id from the token list.' },
    responses: { 204: { mediaType: 'text/plain', description: 'Revoked' }, 403: ProblemSchema, 404: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/admin/access-log',
    summary: 'Who read which session, export or search, and when',
    tags: ['administration'],
    query: AccessLogQuerySchema,
    responses: { 200: json('Access log entries'), 400: ProblemSchema, 403: ProblemSchema },
  },
  {
    method: 'get',
    path: '/v1/admin/legal-holds',
    summary: 'Sessions exempt from retention',
    tags: ['administration'],
    responses: { 200: json('Legal holds'), 403: ProblemSchema },
  },
  {
    method: 'put',
    path: '/v1/sessions/{sessionId}/legal-hold',
    summary: 'Places a session under legal hold, exempting it from retention',
    tags: ['administration'],
    pathParameters: { sessionId: 'Session id.' },
    requestBody: LegalHoldBodySchema,
    responses: { 200: json('The hold'), 400: ProblemSchema, 403: ProblemSchema },
  },
  {
    method: 'delete',
    path: '/v1/sessions/{sessionId}/legal-hold',
    summary: 'Releases a legal hold',
    tags: ['administration'],
    pathParameters: { sessionId: 'Session id.' },
    responses: { 200: json('The released hold'), 403: ProblemSchema },
  },
);

/** Operations other modules serve on the same app (health, metrics, security); they register here. */
export function registerOperations(extra: ApiOperation[]): void {
  for (const operation of extra) {
    if (!operations.some((known) => known.method === operation.method && known.path === operation.path)) operations.push(operation);
  }
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  // Zod's draft 2020-12 output is the dialect OpenAPI 3.1 uses.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function queryParameters(query: z.ZodObject): object[] {
  return Object.entries(query.shape).map(([name, field]) => {
    const schema = field as z.ZodType;
    return {
      name,
      in: 'query',
      required: !schema.safeParse(undefined).success,
      ...(schema.description ? { description: schema.description } : {}),
      schema: jsonSchema(schema, 'input'),
    };
  });
}

function toOperationObject(operation: ApiOperation): object {
  const parameters = [
    ...Object.entries(operation.pathParameters ?? {}).map(([name, description]) => ({
      name,
      in: 'path',
      required: true,
      description,
      schema: { type: 'string' },
    })),
    ...(operation.query ? queryParameters(operation.query) : []),
  ];
  const responses: Record<string, object> = {};
  for (const [status, body] of Object.entries(operation.responses)) {
    if (body instanceof z.ZodType) {
      const mediaType = Number(status) >= 400 ? 'application/problem+json' : 'application/json';
      responses[status] = { description: Number(status) >= 400 ? 'Problem details (RFC 9457)' : 'OK', content: { [mediaType]: { schema: jsonSchema(body, 'output') } } };
    } else {
      responses[status] = { description: body.description, content: { [body.mediaType]: {} } };
    }
  }
  return {
    summary: operation.summary,
    tags: operation.tags,
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.requestBody ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(operation.requestBody, 'input') } } } } : {}),
    responses,
  };
}

export function openApiDocument(): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const operation of operations) {
    paths[operation.path] ??= {};
    paths[operation.path]![operation.method] = toOperationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agent audit trail API',
      version: '1',
      description: 'Sessions, timelines, findings, inventory and evidence export for investigators of AI agent activity.',
    },
    paths,
  };
}

interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Lists the method and path of every route an express app or router serves, nested routers included. */
export function listRoutes(stack: readonly RouterLayer[]): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
      for (const path of paths) {
        for (const [method, enabled] of Object.entries(layer.route.methods)) if (enabled) routes.push({ method, path });
      }
    } else if (layer.handle?.stack) {
      routes.push(...listRoutes(layer.handle.stack));
    }
  }
  return routes;
}

/** Turns an express path (`:name`, `*name`) into an OpenAPI template (`{name}`). */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/[:*](\w+)/g, '{$1}');
}
