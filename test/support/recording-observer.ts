import { OBSERVER_EVENTS, type TaskObserver } from '../../exporter/supervisor/observer.js';

/** One observed supervisor event: when (by the test's clock), which event, its task and the other arguments. */
export interface Observed {
  at: number;
  event: keyof TaskObserver;
  task: string;
  args: unknown[];
}

/**
 * Records every supervisor event (the list comes from the observer interface itself) and lets a test
 * await the n-th event matching a predicate, without polling. `now` is the fake clock in unit tests and
 * `performance.now` with real processes.
 */
export class RecordingObserver {
  readonly events: Observed[] = [];
  private waiters: Array<{ match: (e: Observed) => boolean; count: number; resolve: (e: Observed) => void }> = [];

  constructor(private readonly now: () => number) {}

  /** The observer to hand the supervisor. */
  get observer(): Required<TaskObserver> {
    const out = {} as Record<string, (...args: unknown[]) => void>;
    for (const event of OBSERVER_EVENTS) out[event] = (task: unknown, ...args: unknown[]) => this.record(event, task as string, args);
    return out as unknown as Required<TaskObserver>;
  }

  private record(event: keyof TaskObserver, task: string, args: unknown[]): void {
    const e = { at: this.now(), event, task, args };
    this.events.push(e);
    this.waiters = this.waiters.filter((w) => {
      if (!w.match(e)) return true;
      if (--w.count > 0) return true;
      w.resolve(e);
      return false;
    });
  }

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
