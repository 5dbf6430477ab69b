import { systemClock } from '../../common/clock.js';
import { silentLogger } from '../../common/logger.js';
import { cronScheduler } from '../../exporter/adapters/cron-scheduler.js';
import { probeCheckFor } from '../../exporter/adapters/probe-checks.js';
import { procSampler } from '../../exporter/adapters/proc-sampler.js';
import { spawnLauncher } from '../../exporter/adapters/spawn-launcher.js';
import type { TaskSpec } from '../../exporter/config.js';
import { memoryHistoryStore, TaskHistory } from '../../exporter/supervisor/history.js';
import type { TaskObserver } from '../../exporter/supervisor/observer.js';
import { Supervisor } from '../../exporter/supervisor/supervisor.js';

/** One observed supervisor event with its wall-clock time. */
export interface Observed {
  at: number;
  event: keyof TaskObserver;
  task: string;
  args: unknown[];
}

/** Records events and lets a test await the n-th event matching a predicate (no polling). */
export class EventLog implements TaskObserver {
  readonly events: Observed[] = [];
  private waiters: Array<{ match: (e: Observed) => boolean; count: number; resolve: (e: Observed) => void }> = [];

  private rec(event: keyof TaskObserver, args: unknown[]): void {
    const e = { at: performance.now(), event, task: args[0] as string, args: args.slice(1) };
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(e)) return true;
      if (--w.count > 0) return true;
      w.resolve(e);
      return false;
    });
  }

  stateChanged(...a: unknown[]) { this.rec('stateChanged', a); }
  started(...a: unknown[]) { this.rec('started', a); }
  exited(...a: unknown[]) { this.rec('exited', a); }
  restartScheduled(...a: unknown[]) { this.rec('restartScheduled', a); }
  restarted(...a: unknown[]) { this.rec('restarted', a); }
  probeFailed(...a: unknown[]) { this.rec('probeFailed', a); }
  jobRun(...a: unknown[]) { this.rec('jobRun', a); }

  of(event: keyof TaskObserver, task?: string): Observed[] {
    return this.events.filter((e) => e.event === event && (task === undefined || e.task === task));
  }

  /** Resolves when the `count`-th matching event (counting those already seen) has happened. */
  waitFor(event: keyof TaskObserver, task: string, count = 1, timeoutMs = 20_000, extra: (e: Observed) => boolean = () => true): Promise<Observed> {
    const match = (e: Observed) => e.event === event && e.task === task && extra(e);
    const seen = this.events.filter(match);
    if (seen.length >= count) return Promise.resolve(seen[count - 1]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event} #${count} of ${task}; saw ${JSON.stringify(this.events.map((x) => [x.event, x.task, x.args[0]]))}`)), timeoutMs);
      this.waiters.push({ match, count: count - seen.length, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }
}

/** A supervisor with the real adapters (child processes, /proc, probes, node-cron) and an EventLog. */
export function realSupervisor(specs: TaskSpec[], sampleIntervalMs = 100) {
  const log = new EventLog();
  const lines: Array<{ task: string; stream: string; text: string }> = [];
  const supervisor = new Supervisor(specs, {
    clock: systemClock,
    timers: systemClock,
    launcher: spawnLauncher(process.env),
    sampler: procSampler,
    probeCheck: probeCheckFor,
    observer: log,
    logger: silentLogger,
    linesFor: (s) => ({ line: (stream, text) => lines.push({ task: s.name, stream, text }), truncated() {} }),
    envFor: (s) => ({ EDGEWATCH_TASK: s.name }),
    scheduler: cronScheduler,
    history: new TaskHistory(memoryHistoryStore(), 5),
    sampleIntervalMs,
  });
  return { supervisor, log, lines };
}
