import express from 'express';
import type { Metrics } from './metrics.ts';
import type { ReadinessReport } from './readiness.ts';

export interface OpsRouteOptions {
  metrics: Metrics;
  readiness: () => Promise<ReadinessReport>;
}

/**
 * Builds the routes every service serves for operators: GET /healthz (the
 * process runs), GET /readyz (its dependencies respond, else 503) and
 * GET /metrics in the Prometheus text format.
 */
export function createOpsRouter({ metrics, readiness }: OpsRouteOptions): express.Router {
  const router = express.Router();

  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });

  router.get('/readyz', async (_request, response) => {
    const report = await readiness();
    response.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ok' : 'unavailable', checks: report.checks });
  });

  router.get('/metrics', async (_request, response) => {
    const text = await metrics.registry.metrics();
    response.type(metrics.registry.contentType).send(text);
  });

  return router;
}
