import type { Config } from '../shared/config.ts';
import { closeServer, listen, type RunningService } from '../shared/http-server.ts';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';
import { createOpsRouter } from '../shared/ops-routes.ts';
import { checkClickHouse, checkMigrations, createReadiness } from '../shared/readiness.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { defaultPolicy, loadPolicy } from '../shared/policy.ts';
import express from 'express';
import { expiryCutoff, retentionDaysByTenant } from '../shared/retention/tenant-retention.ts';
import { securityContextFor } from '../shared/security-context.ts';
import { createAccessControl } from './access-control.ts';
import { createAdminRouter } from './admin-routes.ts';
import { createApiApp } from './app.ts';
import { createEvidenceRouter } from './evidence-routes.ts';
import { createTenantScopedClient, readTenantTables } from './tenant-scope.ts';

export async function startApi(
  config: Config,
  logger: Logger,
  clickhouse: () => Promise<ClickHouseClient>,
  metrics: Metrics,
): Promise<RunningService> {
  const client = await clickhouse();
  const readiness = createReadiness({ clickhouse: checkClickHouse(client), migrations: checkMigrations(client) });
  const policy = config.policyFile === null ? defaultPolicy() : loadPolicy(config.policyFile);
  const security = await securityContextFor(config, logger, client);
  // NOTE: the table list is read once; a table created after start is not confined until the next restart.
  const tenantTables = await readTenantTables(client);
  if (tenantTables.withoutTenant.length > 0) {
    logger.warn({ tables: tenantTables.withoutTenant }, 'tables without a Tenant column are hidden from tenant-scoped callers');
  }
  const scopedClient = createTenantScopedClient(client, tenantTables);
  const access = createAccessControl({ authenticator: security.authenticator, clickhouse: scopedClient });
  const retention = retentionDaysByTenant(config.security, config.retentionDays);
  const securityRoutes = express.Router();
  securityRoutes.use(
    createEvidenceRouter({
      clickhouse: scopedClient,
      access,
      trustedKeys: security.trustedKeys,
      expiredBefore: (tenant) => expiryCutoff(retention, tenant),
    }),
    createAdminRouter({ clickhouse: scopedClient, access, heldSessions: security.heldSessions }),
  );
  const app = createApiApp({
    clickhouse: scopedClient,
    policy,
    logger,
    opsRoutes: createOpsRouter({ metrics, readiness }),
    access,
    securityRoutes,
  });
  const server = await listen(app, config.listenHost, config.apiPort);
  const port = (server.address() as { port: number }).port;
  logger.info({ host: config.listenHost, port }, 'API listening');
  return {
    port,
    async stop() {
      await closeServer(server, config.shutdownGraceMs, logger);
      logger.info('API stopped');
    },
  };
}
