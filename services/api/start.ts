import type { Config } from '../shared/config.ts';
import { closeServer, listen, type RunningService } from '../shared/http-server.ts';
import type { Logger } from '../shared/logger.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { createApiApp } from './app.ts';

export async function startApi(
  config: Config,
  logger: Logger,
  clickhouse: () => Promise<ClickHouseClient>,
): Promise<RunningService> {
  const app = createApiApp({ clickhouse: await clickhouse(), logger });
  const server = await listen(app, config.listenHost, config.apiPort);
  const port = (server.address() as { port: number }).port;
  logger.info({ host: config.listenHost, port }, 'API listening');
  return {
    port,
    async stop() {
      await closeServer(server);
      logger.info('API stopped');
    },
  };
}
