import { readFileSync } from 'node:fs';
import type { ProcessSample, ProcessSampler } from '../supervisor/launcher.js';

const PAGE_SIZE = 4096;
const CLOCK_TICKS = 100; // USER_HZ on Linux

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}

function children(pid: number): number[] {
  const text = read(`/proc/${pid}/task/${pid}/children`);
  if (!text) return [];
  const out: number[] = [];
  for (const part of text.split(' ')) {
    const n = Number(part);
    if (n > 0) out.push(n);
  }
  return out;
}

/** utime+stime+cutime+cstime in seconds from /proc/<pid>/stat (proc(5); field 2 may contain spaces). */
function cpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ": state is index 0, utime 11, stime 12, cutime 13, cstime 14
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

/** RSS and CPU of a process tree from /proc (statm, stat, task/<pid>/children); bounded to 64 processes. */
export const procSampler: ProcessSampler = {
  sample(pid: number): ProcessSample | undefined {
    const queue = [pid];
    let rssBytes = 0;
    let cpu = 0;
    let found = false;
    for (let i = 0; i < queue.length && i < 64; i++) {
      const p = queue[i]!;
      const statm = read(`/proc/${p}/statm`);
      const stat = read(`/proc/${p}/stat`);
      if (!statm || !stat) continue;
      found = true;
      rssBytes += Number(statm.split(' ')[1]) * PAGE_SIZE;
      cpu += cpuSeconds(stat);
      queue.push(...children(p));
    }
    return found ? { rssBytes, cpuSeconds: cpu } : undefined;
  },
};
