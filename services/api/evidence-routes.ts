import type { KeyObject } from 'node:crypto';
import express from 'express';
import type { VerifyResult } from '../../schemas/evidence.ts';
import { AuditError } from '../shared/errors.ts';
import { readSessionEvidence } from '../shared/evidence/evidence-repository.ts';
import { verifyEvidence } from '../shared/evidence/verify.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import type { AccessControl } from './access-control.ts';
import { tenantsOf } from './access-control.ts';

// GET /v1/sessions/{id}/verify checks the stored rows against their seals;
// GET /v1/sessions/{id}/evidence returns the seals and canonical rows, which
// `npm run verify-bundle` checks offline.

export interface EvidenceRouteOptions {
  clickhouse: ClickHouseClient;
  access: AccessControl;
  trustedKeys: ReadonlyMap<string, KeyObject>;
  /** Start time before which a tenant's spans may have expired, in nanoseconds; null when they never expire. */
  expiredBefore: (tenant: string) => bigint | null;
}

export function createEvidenceRouter(options: EvidenceRouteOptions): express.Router {
  const { clickhouse, access } = options;
  const router = express.Router();

  const readEvidence = async (sessionId: string, tenants: string[] | null) => {
    const evidence = await readSessionEvidence(clickhouse, sessionId, tenants);
    if (evidence.spans.length === 0 && evidence.seals.length === 0) {
      throw new AuditError('not_found', `session "${sessionId}" was not found`);
    }
    return evidence;
  };

  router.get('/v1/sessions/:sessionId/verify', access.requireRole('investigator'), access.record('session.verify'), async (request, response) => {
    const evidence = await readEvidence(String(request.params['sessionId'] ?? ''), tenantsOf(response));
    const result: VerifyResult = verifyEvidence(evidence, options.trustedKeys, { expiredBefore: options.expiredBefore });
    response.json(result);
  });

  router.get('/v1/sessions/:sessionId/evidence', access.requireRole('investigator'), access.record('session.evidence'), async (request, response) => {
    response.json(await readEvidence(String(request.params['sessionId'] ?? ''), tenantsOf(response)));
  });

  return router;
}
