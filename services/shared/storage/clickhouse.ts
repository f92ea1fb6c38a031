import fs from 'node:fs';
import path from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger as ClickHouseLogger } from '@clickhouse/client';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';

export type { ClickHouseClient };

// Settings on every query: UTC so DateTime64 text means the same everywhere,
// and 64-bit integers quoted in JSON so nanosecond values keep their digits.
// Synchronous inserts, because the clickhouse-local in chdb turns async_insert
// on by default and the writer commits offsets on the insert's acknowledgement.
const clickhouseSettings = {
  session_timezone: 'UTC',
  output_format_json_quote_64bit_integers: 1,
  async_insert: 0,
} as const;

/**
 * Sends the client's own log lines through the service logger as JSON. Its
 * request errors go to debug, because each caller logs the failure it
 * handles with the ids involved. The client's default logger would print a
 * multi-line text block per failed request to the console.
 */
function clickHouseLogOptions(logger: Logger): { LoggerClass: new () => ClickHouseLogger; level: ClickHouseLogLevel } {
  const clientLogger = logger.child({ component: 'clickhouse-client' });
  class PinoClickHouseLogger implements ClickHouseLogger {
    trace({ module, message }: { module: string; message: string }): void {
      clientLogger.trace({ module }, message);
    }
    debug({ module, message }: { module: string; message: string }): void {
      clientLogger.debug({ module }, message);
    }
    info({ module, message }: { module: string; message: string }): void {
      clientLogger.info({ module }, message);
    }
    warn({ module, message, err }: { module: string; message: string; err?: Error }): void {
      clientLogger.warn({ module, err }, message);
    }
    error({ module, message, err }: { module: string; message: string; err: Error }): void {
      clientLogger.debug({ module, err }, message);
    }
  }
  return { LoggerClass: PinoClickHouseLogger, level: ClickHouseLogLevel.WARN };
}

/**
 * Opens the configured ClickHouse: a server over HTTP when CLICKHOUSE_URL is
 * set, otherwise the embedded engine from the chdb package with its data
 * under DATA_DIR/clickhouse. The embedded engine ignores the database
 * option, so there the tables live in its default database; the data
 * directory already belongs to this process alone.
 */
export async function openClickHouse(config: Config, logger: Logger): Promise<ClickHouseClient> {
  const { url, user, password, database } = config.clickhouse;
  if (url !== null) {
    const log = clickHouseLogOptions(logger);
    const bootstrap = createClient({ url, username: user, password, log });
    try {
      await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    } finally {
      await bootstrap.close();
    }
    logger.info({ clickhouse: redactUrl(url), database }, 'connected to ClickHouse server');
    return createClient({ url, username: user, password, database, clickhouse_settings: clickhouseSettings, log });
  }

  const dataPath = path.join(config.dataDir, 'clickhouse');
  fs.mkdirSync(dataPath, { recursive: true });
  // chdb is imported here so that a deployment against a ClickHouse server
  // never loads the 550 MB embedded engine.
  const { createChdbConnection } = await import('chdb/connection');
  const connection = createChdbConnection({ path: dataPath });
  logger.info({ dataPath }, 'opened embedded ClickHouse');
  return createClient({ connection, clickhouse_settings: clickhouseSettings } as Parameters<typeof createClient>[0]);
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? '***' : '';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** Formats nanoseconds since the epoch as the decimal-seconds text DateTime64(9) parses exactly. */
export function toDateTime64Text(unixNano: bigint): string {
  const seconds = unixNano / 1_000_000_000n;
  const fraction = (unixNano % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}
