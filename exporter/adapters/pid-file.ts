import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { reasonOf, type ProblemReporter } from '../health/conditions.js';
import type { Launcher } from '../supervisor/launcher.js';
import { writeFileAtomic } from './atomic-file.js';

/** Told the process group of every task when it starts and when it ends. */
export interface GroupTracker {
  add(pgid: number | undefined): void;
  remove(pgid: number | undefined): void;
}

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
 * groups, so if the exporter and its watchdog are both killed they outlive it; the next exporter kills
 * those leftovers before starting its own copies (a second copy would fight the first for its port and
 * files). A state dir that refuses the write is reported, never thrown: supervision does not need it.
 */
export class PidFile implements GroupTracker {
  private readonly path: string;
  private readonly pids = new Map<number, string>();
  private unsaved = false;

  constructor(
    dir: string,
    private readonly logger: Logger,
    private readonly report: ProblemReporter = () => undefined,
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

  /** Writes the file again if the last write failed (called periodically). */
  retry(): void {
    if (this.unsaved) this.save();
  }

  private save(): void {
    this.unsaved = true;
    try {
      writeFileAtomic(this.path, JSON.stringify([...this.pids]));
      this.unsaved = false;
      this.report(undefined);
    } catch (err) {
      this.report({ code: 'EW_STATE_WRITE', reason: reasonOf(err), message: `state.dir: cannot write ${this.path} (${errorMessage(err)}); tasks stay supervised, the task watchdog still ends them with the exporter` });
    }
  }
}

/** Wraps a launcher so every task's process group is known to the trackers (pid file, watchdog) while it runs. */
export function trackedLauncher(launcher: Launcher, ...trackers: GroupTracker[]): Launcher {
  return {
    launch(spec, hooks) {
      let pid: number | undefined;
      const proc = launcher.launch(spec, {
        onChunk: hooks.onChunk,
        onExit(exit) {
          for (const t of trackers) t.remove(pid);
          hooks.onExit(exit);
        },
      });
      pid = proc.pid;
      for (const t of trackers) t.add(pid);
      return proc;
    },
  };
}
