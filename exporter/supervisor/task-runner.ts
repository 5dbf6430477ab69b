import type { TaskSpec } from '../config.js';
import { backoffFromSpec, RestartBackoff } from './backoff.js';
import type { ExecutionResult } from './execution.js';
import { Runner, type RunnerDeps } from './runner.js';

/**
 * A long-running task (no schedule): started at once, restarted per restartPolicy with CrashLoopBackOff,
 * killed by its liveness probe or memory limit, stoppable, restartable and replaceable by commands.
 */
export class TaskRunner extends Runner {
  private backoff: RestartBackoff;
  private desired: 'running' | 'stopped' = 'running';
  private pendingReason: 'Command' | 'Updated' | undefined;

  constructor(spec: TaskSpec, deps: RunnerDeps) {
    super(spec, deps);
    this.backoff = new RestartBackoff(backoffFromSpec(spec.backoff));
  }

  start(): void {
    this.desired = 'running';
    if (this.running) return;
    this.cancelLaunch();
    this.launch(undefined);
  }

  async stop(): Promise<void> {
    this.desired = 'stopped';
    this.cancelLaunch();
    if (this.running) await this.terminate('stop');
    this.setState('stopped');
  }

  /** Graceful stop, then an immediate start with a fresh backoff (an operator or remediation restart). */
  async restart(): Promise<void> {
    this.desired = 'running';
    this.backoff.reset();
    if (!this.running) {
      this.cancelLaunch();
      this.launch('Command');
      return;
    }
    this.pendingReason = 'Command';
    await this.terminate('restart');
  }

  /** Switches to a new spec: the old process is stopped gracefully, the new version starts at once. */
  async replace(spec: TaskSpec): Promise<void> {
    const wasRunning = this.running;
    this.backoff = new RestartBackoff(backoffFromSpec(spec.backoff));
    if (wasRunning) {
      this.pendingReason = 'Updated';
      const exited = this.terminate('update');
      this.spec = spec;
      await exited;
      return;
    }
    this.spec = spec;
    this.deps.observer.versionChanged?.(spec.name, spec.version);
    if (this.desired === 'running') {
      this.cancelLaunch();
      this.launch('Updated');
    }
  }

  protected onExit(result: ExecutionResult): void {
    if (this.pendingReason) {
      const reason = this.pendingReason;
      this.pendingReason = undefined;
      this.deps.observer.versionChanged?.(this.spec.name, this.spec.version);
      if (this.desired === 'running') {
        this.launch(reason);
        return;
      }
    }
    if (this.desired === 'stopped' || result.cause === 'stop') {
      this.setState('stopped');
      return;
    }
    const policy = this.spec.restartPolicy;
    const failed = result.outcome !== 'succeeded';
    if (policy === 'Never' || (policy === 'OnFailure' && !failed)) {
      this.setState(failed ? 'failed' : 'succeeded');
      return;
    }
    const delay = this.backoff.next(result.runMs);
    this.setState('backoff');
    this.deps.observer.restartScheduled?.(this.spec.name, result.reason, delay);
    this.log.info('restart scheduled', { reason: result.reason, delayMs: delay });
    this.launchAfter(delay, result.reason);
  }
}
