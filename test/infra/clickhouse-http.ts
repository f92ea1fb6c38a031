import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToExit, sleep, stopChild, tailOf } from './child-process.ts';
import { findFreePorts } from './free-port.ts';

export interface ClickHouseHttpOptions {
  /** Data directory. Default: a fresh temporary directory, deleted on stop. */
  dataDir?: string;
  /** File for the engine's own output, truncated at start. */
  logFile?: string;
  /** Time allowed for `SELECT 1` to succeed after launch, in ms. */
  startTimeoutMs?: number;
}

export interface ClickHouseHttp {
  /** ClickHouse HTTP interface, as `http://127.0.0.1:PORT`, user `default` without a password. */
  url: string;
  logFile: string;
  /** Process id of the engine, for CPU and memory figures. */
  pid: number;
  /** Stops the engine process, and deletes the data directory if it was a temporary one. Safe to call twice. */
  stop(): Promise<void>;
}

const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const serverScript = join(repositoryRoot, 'test/infra/clickhouse-http-server.ts');
const stopGraceMs = 5_000;

/**
 * Starts the ClickHouse engine from the chdb package in a child process that
 * serves the ClickHouse HTTP interface on a free port of 127.0.0.1, and
 * resolves once `SELECT 1` succeeds. The engine is clickhouse-local: one user,
 * no access control, no replication.
 */
export async function startClickHouseHttp(options: ClickHouseHttpOptions = {}): Promise<ClickHouseHttp> {
  if (!process.features.typescript) {
    throw new Error(`Node ${process.version} cannot run TypeScript files directly. `
      + 'Run the tests through npm so that Node 24 from node_modules/.bin comes first on PATH.');
  }
  const logFile = options.logFile ?? join(repositoryRoot, '.cache/logs/clickhouse-http.log');
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? await mkdtemp(join(tmpdir(), 'clickhouse-http-'));
  const [port] = (await findFreePorts(1)) as [number];
  const url = `http://127.0.0.1:${port}`;

  await mkdir(dirname(logFile), { recursive: true });
  const logFd = openSync(logFile, 'w');
  const server = spawn(process.execPath, [serverScript, '--path', dataDir, '--http-port', String(port)], {
    stdio: ['ignore', logFd, logFd],
  });
  // The child has its own copy of the descriptor.
  closeSync(logFd);

  const removeDataDir = async (): Promise<void> => {
    if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForSelectOne(url, server, startTimeoutMs, logFile);
  } catch (error) {
    await stopChild(server, stopGraceMs);
    await removeDataDir();
    throw error;
  }

  const killOnExit = (): void => {
    server.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stopped: Promise<void> | undefined;
  return {
    url,
    logFile,
    pid: server.pid ?? -1,
    stop() {
      stopped ??= (async () => {
        process.off('exit', killOnExit);
        await stopChild(server, stopGraceMs);
        await removeDataDir();
      })();
      return stopped;
    },
  };
}

async function waitForSelectOne(url: string, server: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | undefined;
  runToExit(server).then((code) => (exitCode = code), () => (exitCode = -1));

  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`ClickHouse engine process exited with code ${exitCode} before SELECT 1 succeeded. Log ${logFile} ends with:\n${await tailOf(logFile)}`);
    }
    if (await selectOneSucceeds(url)) return;
    await sleep(100);
  }
  throw new Error(`ClickHouse at ${url} timed out: SELECT 1 did not succeed within ${timeoutMs} ms. Log ${logFile} ends with:\n${await tailOf(logFile)}`);
}

async function selectOneSucceeds(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/?query=SELECT%201`, { signal: AbortSignal.timeout(1_000) });
    return response.ok && (await response.text()).trim() === '1';
  } catch {
    return false;
  }
}

