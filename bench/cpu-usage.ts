// CPU time from /proc: of one process (user + system, all threads) and of the whole machine (busy,
// all cores), so the bench can give CPU per action. Undefined where there is no /proc.
import { readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux the bench targets (getconf CLK_TCK); /proc reports in these ticks.
const MS_PER_TICK = 10;

/** utime + stime of a process, ms. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may contain spaces): state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}

/** Busy CPU time of the whole machine (all cores, everything but idle and iowait), ms. */
export function machineBusyMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
    return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * MS_PER_TICK;
  } catch {
    return undefined;
  }
}
