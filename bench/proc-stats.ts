import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

// CPU time and memory of a process from Linux's /proc, the same way for the
// Node services, the Kafka JVM and the ClickHouse engine.

const clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** User plus system CPU seconds the process has used so far. */
export function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name in field 2 may contain spaces, so fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return (userTicks + systemTicks) / clockTicksPerSecond;
}

function readStatusKilobytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match === null) throw new Error(`${field} missing from /proc/${pid}/status`);
  return Number(match[1]);
}

export function readRssBytes(pid: number): number {
  return readStatusKilobytes(pid, 'VmRSS') * 1024;
}

/** Peak resident memory since the process started or since resetPeakRss. */
export function readPeakRssBytes(pid: number): number {
  return readStatusKilobytes(pid, 'VmHWM') * 1024;
}

/** Resets the peak resident memory figure to the current one (Linux 4.0 and later). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** Describes the machine for the benchmark record. */
export function describeMachine(): { cpuModel: string; cpus: number; memoryGiB: number; kernel: string } {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cpus = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memTotalKb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  return { cpuModel, cpus, memoryGiB: Math.round((memTotalKb / 2 ** 20) * 10) / 10, kernel };
}
