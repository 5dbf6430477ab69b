/** Restart backoff settings in milliseconds. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

/** Kubernetes' CrashLoopBackOff defaults: 10 s doubling to 5 min, forgotten after 10 min of running. */
export const crashLoopDefaults: BackoffPolicy = { initialMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/**
 * Exponential restart backoff like the kubelet's: the n-th consecutive restart waits
 * initial·2^(n-1), capped at max; a run that lasted at least `resetAfterMs` starts the count again.
 */
export class RestartBackoff {
  private consecutive = 0;

  constructor(private readonly policy: BackoffPolicy) {}

  /** Delay before the next start, given how long the run that just ended lasted. */
  next(runMs: number): number {
    if (runMs >= this.policy.resetAfterMs) this.consecutive = 0;
    const delay = Math.min(this.policy.initialMs * 2 ** this.consecutive, this.policy.maxMs);
    if (delay < this.policy.maxMs) this.consecutive++;
    return delay;
  }

  /** Forgets the crash history (a manual start or a new version). */
  reset(): void {
    this.consecutive = 0;
  }

  /** Number of restarts counted toward the current backoff. */
  get restarts(): number {
    return this.consecutive;
  }
}

/** BackoffPolicy from a task spec's `backoff` block (seconds). */
export function backoffFromSpec(b: { initialSeconds: number; maxSeconds: number; resetAfterSeconds: number }): BackoffPolicy {
  return { initialMs: b.initialSeconds * 1000, maxMs: b.maxSeconds * 1000, resetAfterMs: b.resetAfterSeconds * 1000 };
}
