import { createClient } from '@clickhouse/client';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AccessControl } from '../../services/api/access-control.ts';
import { createAdminRouter } from '../../services/api/admin-routes.ts';
import { createApiApp } from '../../services/api/app.ts';
import { createEvidenceRouter } from '../../services/api/evidence-routes.ts';
import { listRoutes, openApiDocument, toOpenApiPath } from '../../services/api/openapi.ts';
import { defaultPolicy } from '../../services/shared/policy.ts';

// Every route the API app serves must be described in /openapi.json. The app
// is built with pass-through access control; no request reaches ClickHouse.

function buildApp(): express.Express {
  const pass: express.RequestHandler = (_request, _response, next) => next();
  const access: AccessControl = { authenticate: pass, requireRole: () => pass, record: () => pass };
  // The client is never called: building routes reads nothing.
  const clickhouse = createClient({ url: 'http://127.0.0.1:9' });
  const securityRoutes = express.Router();
  securityRoutes.use(
    createEvidenceRouter({ clickhouse, access, trustedKeys: new Map(), expiredBefore: () => null }),
    createAdminRouter({ clickhouse, access, heldSessions: { refresh: async () => undefined, has: () => false } } as unknown as Parameters<typeof createAdminRouter>[0]),
  );
  const opsRoutes = express.Router();
  for (const path of ['/healthz', '/readyz', '/metrics']) opsRoutes.get(path, pass);
  return createApiApp({ clickhouse, policy: defaultPolicy(), logger: pino({ level: 'silent' }), opsRoutes, access, securityRoutes });
}

describe('OpenAPI document', () => {
  it('describes every route the app serves', () => {
    const app = buildApp();
    const served = listRoutes((app as unknown as { router: { stack: [] } }).router.stack)
      .map((route) => `${route.method} ${toOpenApiPath(route.path)}`)
      .filter((route, index, all) => all.indexOf(route) === index);
    const documented = Object.entries((openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths).flatMap(
      ([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`),
    );

    expect(served.length).toBeGreaterThan(10);
    expect(served.filter((route) => !documented.includes(route))).toEqual([]);
  });

  it('is OpenAPI 3.1 with JSON schemas for responses', () => {
    const document = openApiDocument() as { openapi: string; paths: Record<string, { get?: { responses: Record<string, { content: Record<string, { schema?: unknown }> }> } }> };
    const timeline = document.paths['/v1/sessions/{sessionId}/timeline']?.get;

    expect(document.openapi).toBe('3.1.0');
    expect(timeline?.responses['200']?.content['application/json']?.schema).toMatchObject({ type: 'object' });
  });
});
