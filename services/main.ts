import { ConfigError, loadConfig } from './shared/config.ts';
import { createLogger } from './shared/logger.ts';
import { loadPolicy, PolicyError } from './shared/policy.ts';
import { startServices } from './start-services.ts';

// Entry point for `npm start`: runs the services named in SERVICES (all by
// default) against the configured Kafka and ClickHouse, or embedded.

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger(config.logLevel);

// Process warnings go to the structured log instead of Node's plain stderr
// lines. kafkajs 2.2.4 computes a negative delay for the timer that checks
// its request queue, which Node 24 warns about once and runs at 1 ms as
// kafkajs intends, so that warning is logged at debug only.
process.removeAllListeners('warning');
process.on('warning', (warning: Error & { code?: string }) => {
  const fields = { warning: warning.name, code: warning.code, message: warning.message };
  if (warning.name === 'TimeoutNegativeWarning') logger.debug(fields, 'process warning');
  else logger.warn(fields, 'process warning');
});
const mode = config.kafka === null && config.clickhouse.url === null ? 'embedded' : 'servers';
logger.info({ mode, services: [...config.services] }, 'starting');

// A policy file with mistakes stops the start before any service opens a
// port, with the message naming each invalid field.
if (config.policyFile !== null) {
  try {
    loadPolicy(config.policyFile);
  } catch (error) {
    if (error instanceof PolicyError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

let running;
try {
  running = await startServices(config, logger);
} catch (error) {
  logger.fatal({ err: error }, 'start failed');
  process.exit(1);
}

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
