import { startApi } from './api/start.ts';
import { startGateway } from './gateway/start.ts';
import type { Config } from './shared/config.ts';
import type { RunningService } from './shared/http-server.ts';
import type { Logger } from './shared/logger.ts';
import { openClickHouse, type ClickHouseClient } from './shared/storage/clickhouse.ts';
import { applyRetention, migrate } from './shared/storage/migrate.ts';
import { startWriter } from './writer/start.ts';

export interface RunningServices {
  gatewayPort: number | null;
  apiPort: number | null;
  stop(): Promise<void>;
}

/**
 * Starts the services named in config.services in this process. They share
 * one ClickHouse client, opened and migrated on first use, because the
 * embedded engine allows one per data directory.
 */
export async function startServices(config: Config, logger: Logger): Promise<RunningServices> {
  let opened: Promise<ClickHouseClient> | null = null;
  const clickhouse = (): Promise<ClickHouseClient> => {
    opened ??= (async () => {
      const client = await openClickHouse(config, logger);
      await migrate(client, logger);
      await applyRetention(client, config.retentionDays, logger);
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
  try {
    // The writer starts first so that spans the gateway accepts begin to flow at once.
    if (config.services.has('writer')) {
      const writer = await startWriter(config, logger, clickhouse);
      if (writer) started.push(writer);
    }
    if (config.services.has('gateway')) {
      const gateway = await startGateway(config, logger, clickhouse);
      gatewayPort = gateway.port;
      started.push(gateway);
    }
    if (config.services.has('api')) {
      const api = await startApi(config, logger, clickhouse);
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
