import type { TaskSpec } from '../config.js';
import type { ExecutionResult } from './execution.js';
import { Runner, type RunnerDeps } from './runner.js';

/** Runs a callback on a cron schedule; the node-cron adapter implements it, tests drive it by hand. */
export interface Scheduler {
  schedule(expression: string, fn: () => void): { stop(): void };
}

/**
 * A job: a task with a cron `schedule`. Each tick starts one run unless the previous run is still going
 * (that tick is counted as skipped: Kubernetes' concurrencyPolicy Forbid). A failed attempt is retried
 * with exponential backoff (initial delay from the task's backoff block) up to `backoffLimit` retries.
 */
export class JobRunner extends Runner {
  private cronHandle: { stop(): void } | undefined;
  private attempt = 0;
  private runStartedAt = 0;
  private active = false;

  constructor(
    spec: TaskSpec,
    deps: RunnerDeps,
    private readonly scheduler: Scheduler,
  ) {
    super(spec, deps);
  }

  start(): void {
    if (this.cronHandle) return;
    this.cronHandle = this.scheduler.schedule(this.spec.schedule!, () => this.tick());
    this.setState(this.active ? this.stateValue : 'scheduled');
  }

  async stop(): Promise<void> {
    this.cronHandle?.stop();
    this.cronHandle = undefined;
    this.cancelLaunch();
    this.active = false;
    if (this.running) await this.terminate('stop');
    this.setState('stopped');
  }

  /** Starts one run now, outside the schedule (a `start` or `restart` command). */
  runNow(): void {
    this.tick();
  }

  /** Replaces the spec; a run in progress finishes under the old one. */
  async replace(spec: TaskSpec): Promise<void> {
    const scheduled = this.cronHandle !== undefined;
    this.cronHandle?.stop();
    this.cronHandle = undefined;
    this.spec = spec;
    this.deps.observer.versionChanged?.(spec.name, spec.version);
    if (scheduled) this.start();
  }

  private tick(): void {
    if (this.active) {
      this.deps.observer.jobRun?.(this.spec.name, 'skipped');
      this.log.warn('job run skipped: the previous run is still active');
      return;
    }
    this.active = true;
    this.attempt = 0;
    this.runStartedAt = this.deps.clock.now();
    this.launch(undefined);
  }

  protected onExit(result: ExecutionResult): void {
    if (!this.active) {
      this.setState('stopped');
      return;
    }
    if (result.outcome === 'succeeded') {
      this.finish('succeeded');
      return;
    }
    if (this.attempt >= this.spec.backoffLimit) {
      this.finish('failed');
      return;
    }
    this.attempt++;
    const b = this.spec.backoff;
    const delay = Math.min(b.initialSeconds * 1000 * 2 ** (this.attempt - 1), b.maxSeconds * 1000);
    this.setState('backoff');
    this.deps.observer.restartScheduled?.(this.spec.name, result.reason, delay);
    this.launchAfter(delay, result.reason);
  }

  private finish(result: 'succeeded' | 'failed'): void {
    this.active = false;
    this.deps.observer.jobRun?.(this.spec.name, result, this.deps.clock.now() - this.runStartedAt);
    this.setState(result);
    this.log.info('job run finished', { result, attempts: this.attempt + 1 });
  }
}
