import express from 'express';
import { AgentListResponseSchema, ExportQuerySchema, ResourceAccessQuerySchema, type SessionExport } from '../../schemas/api-investigation.ts';
import { AuditError } from '../shared/errors.ts';
import type { Policy } from '../shared/policy.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { readSessionEvidence } from '../shared/evidence/evidence-repository.ts';
import { listAgents, readRawSpans, readResourceAccess } from './investigation-repository.ts';
import { assembleTimeline } from './session-timeline.ts';

/** Inventory, resource history and evidence export. */
export function createInvestigationRouter(clickhouse: ClickHouseClient, policy: Policy): express.Router {
  const router = express.Router();

  router.get('/v1/agents', async (_request, response) => {
    response.json(AgentListResponseSchema.parse({ agents: await listAgents(clickhouse) }));
  });

  router.get('/v1/agents/:agentId', async (request, response) => {
    const [agent] = await listAgents(clickhouse, request.params.agentId);
    if (agent === undefined) throw new AuditError('not_found', `agent "${request.params.agentId}" was not found`);
    response.json(agent);
  });

  // Resource URIs contain slashes: the path takes the URI percent-encoded
  // (one segment) or as it is (several segments).
  router.get('/v1/resources/*resource/access', async (request, response) => {
    const segments = (request.params as { resource: string[] }).resource;
    const resource = segments.join('/');
    const query = ResourceAccessQuerySchema.parse(request.query);
    const accesses = await readResourceAccess(clickhouse, resource, { prefix: query.prefix === 'true', limit: query.limit });
    response.json({ resource, accesses });
  });

  router.get('/v1/sessions/:sessionId/export', async (request, response) => {
    const { sessionId } = request.params;
    const query = ExportQuerySchema.parse(request.query);
    const timeline = await assembleTimeline(clickhouse, sessionId, policy, { fullContent: true });
    if (timeline === null) throw new AuditError('not_found', `session "${sessionId}" was not found`);
    const bundle: SessionExport = {
      exportFormat: 'agent-audit-session/1',
      exportedAt: new Date().toISOString(),
      sessionId,
      traceIds: timeline.traceIds,
      steps: timeline.steps,
      findings: timeline.findings,
      spans: await readRawSpans(clickhouse, timeline.traceIds),
      // Seals and canonical rows, so `npm run verify-bundle` can check the
      // export offline with only the public key.
      evidence: await readSessionEvidence(clickhouse, sessionId, null),
    };
    const ndjson = query.format === 'ndjson' || (query.format === undefined && request.accepts(['application/json', 'application/x-ndjson']) === 'application/x-ndjson');
    const filename = `session-${sessionId.replace(/[^\w.-]/g, '_')}`;
    if (!ndjson) {
      response.attachment(`${filename}.json`).json(bundle);
      return;
    }
    // One record per line: a header, then steps, findings and raw spans, so
    // a large session can be streamed into log tooling record by record.
    const { steps, findings, spans, evidence, ...header } = bundle;
    const lines = [
      JSON.stringify({ record: 'session', ...header }),
      ...steps.map((step) => JSON.stringify({ record: 'step', ...step })),
      ...findings.map((found) => JSON.stringify({ record: 'finding', ...found })),
      ...spans.map((span) => JSON.stringify({ record: 'span', ...span })),
      JSON.stringify({ record: 'evidence', ...evidence }),
    ];
    response.attachment(`${filename}.ndjson`).type('application/x-ndjson').send(`${lines.join('\n')}\n`);
  });

  return router;
}
