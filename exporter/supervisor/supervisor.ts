import { createHash } from 'node:crypto';
import { every } from '../../common/clock.js';
import { EdgewatchError } from '../../common/errors.js';
import { errorOnChange } from '../../common/logger.js';
import type { TaskSpec } from '../config.js';
import type { TaskHistory } from './history.js';
import { redactEnv } from './task-env.js';
import { JobRunner, type Scheduler } from './job-runner.js';
import type { RunnerDeps, TaskStatus } from './runner.js';
import { TaskRunner } from './task-runner.js';

type AnyRunner = TaskRunner | JobRunner;

/** Supervisor dependencies. */
export interface SupervisorDeps extends RunnerDeps {
  scheduler: Scheduler;
  history: TaskHistory;
  sampleIntervalMs: number;
}

/** Stable hash of a spec, to notice that the operator edited a task in the config file. */
export function specHash(spec: TaskSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex').slice(0, 16);
}

/** A task that is not supervised here. */
export class UnknownTaskError extends EdgewatchError {
  constructor(task: string) {
    super('EW_UNKNOWN_TASK', `no task named "${task}" on this node`);
  }
}

/**
 * Owns every task runner of the node: starts the configured tasks, samples their resources, and carries
 * out lifecycle operations (start, stop, restart, apply, rollback, release) locally or from commands.
 */
export class Supervisor {
  readonly name = 'supervisor';
  private readonly runners = new Map<string, AnyRunner>();
  private stopSampling: (() => void) | undefined;

  constructor(
    private readonly configSpecs: TaskSpec[],
    private readonly deps: SupervisorDeps,
  ) {}

  start(): void {
    const configured = new Set(this.configSpecs.map((s) => s.name));
    const specs = [
      ...this.configSpecs.map((s) => this.deps.history.resolve(s, specHash(s))),
      ...this.deps.history.extraTasks(configured),
    ];
    for (const spec of specs) this.add(spec).start();
    this.stopSampling = every(this.deps.timers, this.deps.sampleIntervalMs, () => this.sampleAll(), errorOnChange(this.deps.logger, 'resource sampling failed'));
  }

  async stop(): Promise<void> {
    this.stopSampling?.();
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
  }

  /** Status of every task, in name order. */
  list(): TaskStatus[] {
    return [...this.runners.values()].map((r) => r.status()).sort((a, b) => a.name.localeCompare(b.name));
  }

  status(task: string): TaskStatus {
    return this.runner(task).status();
  }

  has(task: string): boolean {
    return this.runners.has(task);
  }

  versions(task: string): string[] {
    return this.deps.history.versions(task);
  }

  /** The spec a task runs now, or undefined for an unknown task. */
  currentSpec(task: string): TaskSpec | undefined {
    return this.runners.get(task)?.spec;
  }

  /** The version `rollback` without a version would go back to. */
  previousVersion(task: string): string | undefined {
    return this.deps.history.previous(task)?.version;
  }

  /** Status plus the placement facts the cloud needs (labels, memory limit) of every task. */
  describe(): Array<TaskStatus & { labels: Record<string, string>; memoryLimitBytes?: number; spec: Record<string, unknown> }> {
    return this.list().map((s) => {
      const spec = this.runners.get(s.name)!.spec;
      const limit = spec.resources.limits.memory;
      // env values never leave the node: names are reported, values redacted
      const reported = { ...spec, env: redactEnv(spec.env) } as unknown as Record<string, unknown>;
      return { ...s, labels: spec.labels, spec: reported, ...(limit !== undefined ? { memoryLimitBytes: limit } : {}) };
    });
  }

  async startTask(task: string): Promise<void> {
    const r = this.runner(task);
    if (r instanceof JobRunner) {
      r.start();
      r.runNow();
    } else r.start();
  }

  async stopTask(task: string): Promise<void> {
    await this.runner(task).stop();
  }

  async restartTask(task: string): Promise<void> {
    const r = this.runner(task);
    if (r instanceof JobRunner) r.runNow();
    else await r.restart();
  }

  /** Runs `spec` as the task's new current version (creating the task if it is new). */
  async apply(spec: TaskSpec): Promise<void> {
    this.deps.history.record(spec);
    const existing = this.runners.get(spec.name);
    if (!existing) {
      this.add(spec).start();
      return;
    }
    if (Boolean(existing.spec.schedule) !== Boolean(spec.schedule)) {
      await existing.stop();
      this.remove(spec.name);
      this.add(spec).start();
      return;
    }
    await existing.replace(spec as never);
  }

  /** Re-applies the previous spec of a task, or the named version; returns the version now running. */
  async rollback(task: string, version?: string): Promise<string> {
    this.runner(task);
    const target = this.deps.history.previous(task, version);
    if (!target) {
      throw new EdgewatchError(
        'EW_NO_VERSION',
        version ? `task "${task}" has no version "${version}" in its history (${this.versions(task).join(', ')})` : `task "${task}" has no previous version to roll back to`,
      );
    }
    await this.apply(target);
    return target.version;
  }

  /** Stops a task and forgets it (the source side of a migration). */
  async release(task: string): Promise<void> {
    await this.runner(task).stop();
    this.remove(task);
    this.deps.history.forget(task);
  }

  private runner(task: string): AnyRunner {
    const r = this.runners.get(task);
    if (!r) throw new UnknownTaskError(task);
    return r;
  }

  private add(spec: TaskSpec): AnyRunner {
    this.deps.observer.added?.(spec.name, spec.version, spec.schedule !== undefined);
    const r = spec.schedule ? new JobRunner(spec, this.deps, this.deps.scheduler) : new TaskRunner(spec, this.deps);
    this.runners.set(spec.name, r);
    return r;
  }

  private remove(task: string): void {
    this.runners.delete(task);
    this.deps.observer.removed?.(task);
  }

  private sampleAll(): void {
    for (const r of this.runners.values()) {
      try {
        r.sample();
      } catch (err) {
        this.deps.logger.warn('sampling failed', { task: r.name, err });
      }
    }
  }
}
