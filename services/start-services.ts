import { startApi } from './api/start.ts';
import { startGateway } from './gateway/start.ts';
import type { Config } from './shared/config.ts';
import type { RunningService } from './shared/http-server.ts';
import type { Logger } from './shared/logger.ts';
import { createMetrics, type Metrics } from './shared/metrics.ts';
import { openClickHouse, type ClickHouseClient } from './shared/storage/clickhouse.ts';
import { bootstrapCredentials } from './shared/auth/bootstrap.ts';
import { applyTenantRetention } from './shared/retention/tenant-retention.ts';
import { migrate } from './shared/storage/migrate.ts';
import { startWriter } from './writer/start.ts';

export interface RunningServices {
  gatewayPort: number | null;
  apiPort: number | null;
  /** Port of the writer's /healthz, /readyz and /metrics; null when no writer runs. */
  writerPort: number | null;
  /** The registry all services of this process report to. */
  metrics: Metrics;
  stop(): Promise<void>;
}

/**
 * Starts the services named in config.services in this process. They share
 * one ClickHouse client, opened and migrated on first use, because the
 * embedded engine allows one per data directory.
 */
export async function startServices(config: Config, logger: Logger): Promise<RunningServices> {
  const metrics = createMetrics();
  let opened: Promise<ClickHouseClient> | null = null;
  const clickhouse = (): Promise<ClickHouseClient> => {
    opened ??= (async () => {
      const client = await openClickHouse(config, logger);
      await migrate(client, logger);
      await applyTenantRetention(client, config.security, config.retentionDays, logger);
      if (config.kafka === null && config.clickhouse.url === null) await bootstrapCredentials(client, config, logger);
      return client;
    })();
    return opened;
  };

  const closeClickHouse = async (): Promise<void> => {
    const pending = opened as Promise<ClickHouseClient> | null;
    if (pending) await (await pending).close();
  };

  const started: RunningService[] = [];
  let gatewayPort: number | null = null;
  let apiPort: number | null = null;
  let writerPort: number | null = null;
  try {
    // The writer starts first so that spans the gateway accepts begin to flow at once.
    if (config.services.has('writer')) {
      const writer = await startWriter(config, logger, clickhouse, metrics);
      if (writer) {
        writerPort = writer.port;
        started.push(writer);
      }
    }
    if (config.services.has('gateway')) {
      const gateway = await startGateway(config, logger, clickhouse, metrics);
      gatewayPort = gateway.port;
      started.push(gateway);
    }
    if (config.services.has('api')) {
      const api = await startApi(config, logger, clickhouse, metrics);
      apiPort = api.port;
      started.push(api);
    }
  } catch (error) {
    await stopAll(started, logger);
    await closeClickHouse();
    throw error;
  }

  return {
    gatewayPort,
    apiPort,
    writerPort,
    metrics,
    async stop() {
      // The gateway stops before the writer so that nothing it accepted is left unread.
      await stopAll(started, logger);
      await closeClickHouse();
    },
  };
}

async function stopAll(services: RunningService[], logger: Logger): Promise<void> {
  for (const service of [...services].reverse()) {
    try {
      await service.stop();
    } catch (error) {
      logger.error({ err: error }, 'service failed to stop cleanly');
    }
  }
}
