// CPU time per process group, from /proc: which process a load level saturates (the worker, the
// Temporal server, Postgres, the bench's own client), not only how busy the machine is.
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux the bench targets (getconf CLK_TCK); /proc reports in these ticks.
const MS_PER_TICK = 10;

export type ProcessGroup = 'worker' | 'temporal' | 'postgres' | 'client' | 'other';
export const PROCESS_GROUPS: readonly ProcessGroup[] = ['worker', 'temporal', 'postgres', 'client', 'other'];

/** CPU ms (user + system) of every process now, keyed by pid, with its command name. */
export type CpuSnapshot = Map<number, { comm: string; ms: number }>;

export function cpuSnapshot(): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(pid), { comm, ms: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

/**
 * CPU ms each group used between two snapshots. The worker and the client are known by pid; the
 * Temporal dev server and Postgres (postmaster and every backend) by command name. A process that
 * started in between counts from zero; one that ended is lost (short-lived, so small).
 */
export function cpuByGroup(before: CpuSnapshot, after: CpuSnapshot, pids: { worker: number; client: number }): Record<ProcessGroup, number> {
  const out: Record<ProcessGroup, number> = { worker: 0, temporal: 0, postgres: 0, client: 0, other: 0 };
  for (const [pid, now] of after) {
    const used = now.ms - (before.get(pid)?.ms ?? 0);
    if (used <= 0) continue;
    const group: ProcessGroup =
      pid === pids.worker ? 'worker' : pid === pids.client ? 'client' : now.comm.startsWith('temporal') ? 'temporal' : now.comm.startsWith('postgres') ? 'postgres' : 'other';
    out[group] += used;
  }
  return out;
}
