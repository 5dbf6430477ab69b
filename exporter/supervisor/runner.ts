import type { TimerHandle } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import type { TaskSpec } from '../config.js';
import type { ExitOutcome, RestartReason, TaskState } from '../../protocol/task-states.js';
import { Execution, type ExecutionDeps, type ExecutionResult, type LineHandler } from './execution.js';
import type { TaskObserver } from './observer.js';

/** Everything a runner needs, shared by all runners of a supervisor. */
export interface RunnerDeps extends ExecutionDeps {
  observer: TaskObserver;
  logger: Logger;
  /** The line handler for a spec (parses with its log format, counts into its series). */
  linesFor(spec: TaskSpec): LineHandler;
  /** Extra environment for a task (EDGEWATCH_NODE, ...). */
  envFor(spec: TaskSpec): Record<string, string>;
}

/** A point-in-time view of a task, for the control channel and the API. */
export interface TaskStatus {
  name: string;
  version: string;
  state: TaskState;
  pid?: number;
  startedAt?: number;
  restarts: number;
  lastExit?: { outcome: ExitOutcome; code: number | null; signal: string | null; at: number; message?: string };
  /** Why the last restart happened (Error, OOMKilled, Unhealthy, Command, Updated, Completed). */
  lastRestartReason?: RestartReason;
  job: boolean;
}

/** What both task kinds share: a spec, a state, at most one execution, and a delayed launch. */
export abstract class Runner {
  protected exec: Execution | undefined;
  protected stateValue: TaskState = 'pending';
  protected launchTimer: TimerHandle | undefined;
  protected restarts = 0;
  protected lastRestartReason: RestartReason | undefined;
  protected lastExit: TaskStatus['lastExit'];
  private exitWaiters: Array<() => void> = [];
  protected readonly log: Logger;

  constructor(
    public spec: TaskSpec,
    protected readonly deps: RunnerDeps,
  ) {
    this.log = deps.logger.child({ task: spec.name });
  }

  get name(): string {
    return this.spec.name;
  }

  get state(): TaskState {
    return this.stateValue;
  }

  get running(): boolean {
    return this.exec !== undefined && !this.exec.exited;
  }

  /** Starts the task (services) or its schedule (jobs). */
  abstract start(): void;

  /** Gracefully stops the task and keeps it stopped until `start`; resolves once the process is gone. */
  abstract stop(): Promise<void>;

  status(): TaskStatus {
    const s: TaskStatus = { name: this.spec.name, version: this.spec.version, state: this.stateValue, restarts: this.restarts, job: this.spec.schedule !== undefined };
    if (this.running) {
      if (this.exec!.pid !== undefined) s.pid = this.exec!.pid;
      s.startedAt = this.exec!.startedAt;
    }
    if (this.lastExit) s.lastExit = this.lastExit;
    if (this.lastRestartReason) s.lastRestartReason = this.lastRestartReason;
    return s;
  }

  /** Samples the running process (RSS, CPU) and enforces its memory limit. */
  sample(): void {
    this.exec?.sample();
  }

  protected setState(state: TaskState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.deps.observer.stateChanged?.(this.spec.name, state, this.spec.version);
  }

  protected cancelLaunch(): void {
    if (this.launchTimer) this.deps.timers.clearTimeout(this.launchTimer);
    this.launchTimer = undefined;
  }

  protected launchAfter(delayMs: number, reason: RestartReason | undefined): void {
    this.cancelLaunch();
    this.launchTimer = this.deps.timers.setTimeout(() => {
      this.launchTimer = undefined;
      this.launch(reason);
    }, delayMs);
  }

  /** Starts a process now; `reason` marks it as a restart. */
  protected launch(reason: RestartReason | undefined): void {
    const spec = this.spec;
    const lines = this.deps.linesFor(spec);
    if (reason) {
      this.restarts++;
      this.lastRestartReason = reason;
    }
    this.exec = new Execution(spec, this.deps.envFor(spec), this.deps, {
      lines,
      probeFailed: (message) => {
        this.log.warn('liveness probe failed', { message });
        this.deps.observer.probeFailed?.(spec.name, message);
      },
      sampled: (rss, cpu) => this.deps.observer.sampled?.(spec.name, rss, cpu),
      exited: (result) => this.handleExit(result),
    });
    this.setState('running');
    this.deps.observer.started?.(spec.name, spec.version, this.exec.pid);
    this.log.info('task started', { version: spec.version, pid: this.exec.pid });
    // last: an observer that acts on a restart (a rollback during a crash loop) finds the new process
    // running, so stopping or replacing it cannot leave a second one beside it
    if (reason) this.deps.observer.restarted?.(spec.name, reason);
  }

  /** Terminates the current process (if any) and resolves when it has exited. */
  protected terminate(cause: 'stop' | 'restart' | 'update'): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.setState('stopping');
    return new Promise<void>((resolve) => {
      this.exitWaiters.push(resolve);
      this.exec!.terminate(cause);
    });
  }

  private handleExit(result: ExecutionResult): void {
    const at = this.deps.clock.now();
    this.lastExit = { outcome: result.outcome, code: result.exit.code, signal: result.exit.signal, at };
    const message = result.exit.error ?? this.exec?.unhealthyMessage;
    if (message) this.lastExit.message = message;
    this.deps.observer.exited?.(this.spec.name, result.outcome, result.exit, result.runMs);
    const level = result.outcome === 'succeeded' || result.outcome === 'stopped' ? 'info' : 'warn';
    this.log[level]('task exited', { outcome: result.outcome, code: result.exit.code, signal: result.exit.signal, runMs: result.runMs, message });
    this.onExit(result);
    const waiters = this.exitWaiters;
    this.exitWaiters = [];
    for (const w of waiters) w();
  }

  /** Decides what happens after a process ends (restart, retry, stay down). */
  protected abstract onExit(result: ExecutionResult): void;
}
