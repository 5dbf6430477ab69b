import type { TimerHandle, Timers } from '../../common/clock.js';

/** Outcome of one probe attempt. */
export interface ProbeResult {
  ok: boolean;
  message?: string;
}

/** Runs one probe attempt; it must settle within `timeoutMs` (the adapter enforces it). */
export type ProbeCheck = (timeoutMs: number) => Promise<ProbeResult>;

/** Kubernetes probe timing (seconds, as in the task spec). */
export interface ProbeTiming {
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
}

/**
 * Kubernetes liveness semantics: the first probe runs after initialDelaySeconds, then every periodSeconds;
 * a success resets the failure count; failureThreshold consecutive failures make the task unhealthy.
 * A probe still in flight when the next period starts is not doubled up.
 */
export class LivenessMonitor {
  private timer: TimerHandle | undefined;
  private failures = 0;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly timing: ProbeTiming,
    private readonly check: ProbeCheck,
    private readonly timers: Timers,
    private readonly onFailure: (message: string, consecutive: number) => void,
    private readonly onUnhealthy: (message: string) => void,
  ) {}

  start(): void {
    this.timer = this.timers.setTimeout(() => this.tick(), this.timing.initialDelaySeconds * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.timers.clearTimeout(this.timer);
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = this.timers.setTimeout(() => this.tick(), this.timing.periodSeconds * 1000);
    if (this.inFlight) return;
    this.inFlight = true;
    this.check(this.timing.timeoutSeconds * 1000).then(
      (r) => this.settle(r),
      (err: unknown) => this.settle({ ok: false, message: String(err) }),
    );
  }

  private settle(result: ProbeResult): void {
    this.inFlight = false;
    if (this.stopped) return;
    if (result.ok) {
      this.failures = 0;
      return;
    }
    this.failures++;
    const message = result.message ?? 'probe failed';
    this.onFailure(message, this.failures);
    if (this.failures >= this.timing.failureThreshold) {
      this.stop();
      this.onUnhealthy(`liveness probe failed ${this.failures} times: ${message}`);
    }
  }
}
