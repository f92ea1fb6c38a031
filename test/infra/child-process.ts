import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';

// Process helpers shared by the scripts that start the test services.

/** Resolves with the exit code, or -1 when the process was ended by a signal. */
export function runToExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolveExit(code ?? -1));
  });
}

/** Sends SIGTERM, then SIGKILL if the process is still running after graceMs. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = runToExit(child).catch(() => -1);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Returns the last 30 lines of a log file, for an error message; empty when it cannot be read. */
export async function tailOf(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-30).join('\n');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
