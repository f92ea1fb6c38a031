import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from './pipeline.ts';

// Runs `services/main.ts` in a child process, for tests that send it signals
// or measure its memory. Ports come from the services' own log lines, so the
// child can listen on port 0.

const mainScript = fileURLToPath(new URL('../../services/main.ts', import.meta.url));

export interface ServiceProcess {
  child: ChildProcess;
  ports: { gateway?: number; api?: number; writer?: number };
  /** Resolves with the exit code, or the signal name when a signal ended the process. */
  exited: Promise<number | string>;
  /** Sends SIGKILL if the process still runs. */
  kill(): void;
}

const portFieldByMessage: Record<string, 'gateway' | 'api' | 'writer'> = {
  'gateway listening': 'gateway',
  'API listening': 'api',
  'writer HTTP listening': 'writer',
};

/** Starts the services named in env.SERVICES and resolves once each has logged its port. */
export async function startServiceProcess(env: Record<string, string | undefined>): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [mainScript], {
    env: { ...env, LOG_LEVEL: env['LOG_LEVEL'] === 'silent' || env['LOG_LEVEL'] === undefined ? 'info' : env['LOG_LEVEL'] },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports: ServiceProcess['ports'] = {};
  // The last log lines go into the error when the process exits before it listens.
  const recentLines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    recentLines.push(line);
    if (recentLines.length > 20) recentLines.shift();
    let entry: { msg?: string; port?: number };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    const field = portFieldByMessage[entry.msg ?? ''];
    if (field !== undefined) ports[field] = entry.port;
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });

  const expected = (env['SERVICES'] ?? 'gateway,writer,api')
    .split(',')
    .map((name) => name.trim())
    .filter((name): name is 'gateway' | 'api' | 'writer' => name === 'gateway' || name === 'api' || name === 'writer');
  // Without Kafka no writer runs, so only the HTTP services are awaited then.
  const awaited = env['KAFKA_BROKERS'] ? expected : expected.filter((name) => name !== 'writer');
  let exitCode: number | string | undefined;
  void exited.then((code) => (exitCode = code));
  const outcome = await waitFor(
    async () => {
      if (exitCode !== undefined) return 'exited';
      return awaited.every((name) => ports[name] !== undefined) ? 'listening' : undefined;
    },
    { timeoutMs: 60_000, what: `ports of ${awaited.join(', ')}` },
  );
  if (outcome === 'exited') {
    throw new Error(`service process exited with ${exitCode} before it listened; its last log lines:\n${recentLines.join('\n')}`);
  }

  return {
    child,
    ports,
    exited,
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Peak resident set size of a process so far (VmHWM in /proc), in bytes. Linux only. */
export function readPeakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`VmHWM missing from /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
