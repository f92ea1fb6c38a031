import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openClickHouse } from './storage/clickhouse.ts';
import { applyTenantRetention } from './retention/tenant-retention.ts';
import { migrate } from './storage/migrate.ts';

// `npm run migrate`: applies the ClickHouse migrations and retention TTL
// without starting any service.

try {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'migrate');
  const client = await openClickHouse(config, logger);
  try {
    const applied = await migrate(client, logger);
    await applyTenantRetention(client, config.security, config.retentionDays, logger);
    logger.info({ applied }, applied.length === 0 ? 'schema already up to date' : 'migrations applied');
  } finally {
    await client.close();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
