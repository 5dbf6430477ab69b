/** Wall-clock time in epoch milliseconds; injected so rules, backoff and leases run on fake time in tests. */
export interface Clock {
  now(): number;
}

/** An opaque timer handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** One-shot timers; injected beside {@link Clock} so nothing but a composition root calls setTimeout. */
export interface Timers {
  setTimeout(fn: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock and timers. Timers are unref'd: a pending backoff never keeps the process alive. */
export const systemClock: Clock & Timers = {
  now: () => Date.now(),
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Receives what a background loop's body threw; the loop goes on (OpenTelemetry's `_runOnce`). */
export type LoopErrorHandler = (err: unknown) => void;

/**
 * Calls `fn` every `periodMs` using the injected timers until the returned stop function is called.
 * A throw (or a rejected promise) in `fn` goes to `onError` and the loop goes on: a background loop
 * never ends the process. The next run is scheduled before `fn` runs, so a slow or failing body cannot
 * stop the schedule either.
 */
export function every(timers: Timers, periodMs: number, fn: () => void | Promise<unknown>, onError: LoopErrorHandler): () => void {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    handle = timers.setTimeout(tick, periodMs);
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(onError);
    } catch (err) {
      onError(err);
    }
  };
  handle = timers.setTimeout(tick, periodMs);
  return () => {
    stopped = true;
    if (handle) timers.clearTimeout(handle);
  };
}

/** Deterministic clock and timers for tests: time moves only when {@link FakeClock.advance} is called. */
export class FakeClock implements Clock, Timers {
  private current: number;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; seq: number; fn: () => void }>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, delayMs: number): TimerHandle {
    const id = ++this.seq;
    this.pending.set(id, { at: this.current + Math.max(0, delayMs), seq: id, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete((handle as { id: number }).id);
  }

  /** Number of timers still waiting to fire. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Delay in ms until the earliest pending timer, or undefined when none is pending. */
  nextDelay(): number | undefined {
    let min: number | undefined;
    for (const t of this.pending.values()) if (min === undefined || t.at < min) min = t.at;
    return min === undefined ? undefined : min - this.current;
  }

  /** Moves time forward by `ms`, firing due timers in order (timers they set are honoured too). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let next: { id: number; at: number; seq: number; fn: () => void } | undefined;
      for (const [id, t] of this.pending) {
        if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = { id, ...t };
      }
      if (!next) break;
      this.pending.delete(next.id);
      this.current = next.at;
      next.fn();
    }
    this.current = target;
  }
}
