import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/**
 * CPU time for a run's cost. process.cpuUsage() is the whole process's (getrusage RUSAGE_SELF: every thread, in a
 * worker thread too, so the workers' own cpuMs replies overlap and cannot be summed). The main thread's share is read
 * from Linux's /proc (utime + stime of the thread whose id is the process's), in clock ticks of 10 ms.
 */
export interface CpuMark {
  process: NodeJS.CpuUsage;
  mainThreadMs: number | null;
  at: number;
}

export function cpuMark(): CpuMark {
  return { process: process.cpuUsage(), mainThreadMs: mainThreadCpuMs(), at: Date.now() };
}

/** CPU and wall time since `mark`: the whole process's, and the main thread's where it can be read. */
export function cpuSince(mark: CpuMark): { cpuMs: number; mainThreadCpuMs: number | null; wallMs: number; cores: number } {
  const used = process.cpuUsage(mark.process);
  const main = mainThreadCpuMs();
  return {
    cpuMs: (used.user + used.system) / 1000,
    mainThreadCpuMs: main === null || mark.mainThreadMs === null ? null : main - mark.mainThreadMs,
    wallMs: Date.now() - mark.at,
    cores: availableParallelism(),
  };
}

// USER_HZ is 100 on every Linux Hearth runs on (x86-64, arm64); /proc reports times in its ticks.
const msPerTick = 10;

function mainThreadCpuMs(): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), utime and stime, are the 12th and 13th after the name.
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * msPerTick : null;
  } catch {
    return null;
  }
}
