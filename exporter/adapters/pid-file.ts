import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../common/logger.js';
import type { Launcher } from '../supervisor/launcher.js';
import { writeFileAtomic } from './atomic-file.js';

/** /proc/<pid>/stat field 22: start time in clock ticks since boot; tells a live task from a recycled pid. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Remembers the process groups of running tasks in `<state>/pids.json`. Tasks run in their own process
 * groups, so if the exporter is SIGKILLed they outlive it; the next exporter kills those leftovers before
 * starting its own copies (a second copy would fight the first for its port and files).
 */
export class PidFile {
  private readonly path: string;
  private readonly pids = new Map<number, string>();

  constructor(
    dir: string,
    private readonly logger: Logger,
  ) {
    this.path = join(dir, 'pids.json');
  }

  /** Kills the process groups a previous exporter left running; returns how many. */
  reapLeftovers(): number {
    let entries: Array<[number, string]> = [];
    try {
      entries = JSON.parse(readFileSync(this.path, 'utf8')) as Array<[number, string]>;
    } catch {
      return 0;
    }
    let killed = 0;
    for (const [pid, started] of entries) {
      if (startTime(pid) !== started) continue; // gone, or the pid now belongs to someone else
      try {
        process.kill(-pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    if (killed > 0) this.logger.warn('killed tasks left running by a previous exporter', { processGroups: killed });
    this.save();
    return killed;
  }

  add(pid: number | undefined): void {
    if (pid === undefined) return;
    const started = startTime(pid);
    if (started === undefined) return;
    this.pids.set(pid, started);
    this.save();
  }

  remove(pid: number | undefined): void {
    if (pid === undefined || !this.pids.delete(pid)) return;
    this.save();
  }

  private save(): void {
    writeFileAtomic(this.path, JSON.stringify([...this.pids]));
  }
}

/** Wraps a launcher so every task process is in the pid file while it runs. */
export function trackedLauncher(launcher: Launcher, pidFile: PidFile): Launcher {
  return {
    launch(spec, hooks) {
      let pid: number | undefined;
      const proc = launcher.launch(spec, {
        onChunk: hooks.onChunk,
        onExit(exit) {
          pidFile.remove(pid);
          hooks.onExit(exit);
        },
      });
      pid = proc.pid;
      pidFile.add(pid);
      return proc;
    },
  };
}
