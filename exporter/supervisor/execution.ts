import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import type { TaskSpec } from '../config.js';
import { LineSplitter } from '../logs/line-splitter.js';
import type { ExitOutcome, RestartReason } from '../../protocol/task-states.js';
import type { Launcher, LaunchSpec, OutputStream, ProcessExit, ProcessSampler, TaskProcess } from './launcher.js';
import { LivenessMonitor, type ProbeCheck } from './liveness.js';

/** Why the supervisor ended a process itself. */
export type KillCause = 'stop' | 'restart' | 'update' | 'unhealthy' | 'oom';

/** Receives a task's output lines. */
export interface LineHandler {
  line(stream: OutputStream, text: string): void;
  truncated(): void;
}

/** How an execution ended, classified the way Kubernetes reports container terminations. */
export interface ExecutionResult {
  exit: ProcessExit;
  cause: KillCause | undefined;
  outcome: ExitOutcome;
  /** Restart reason if this exit leads to a restart. */
  reason: RestartReason;
  runMs: number;
}

/** What an execution needs from the outside world. */
export interface ExecutionDeps {
  clock: Clock;
  timers: Timers;
  launcher: Launcher;
  sampler: ProcessSampler;
  probeCheck?: (spec: TaskSpec) => ProbeCheck | undefined;
}

/** Events an execution reports while it runs. */
export interface ExecutionHooks {
  lines: LineHandler;
  probeFailed(message: string): void;
  sampled(rssBytes: number, cpuDeltaSeconds: number): void;
  exited(result: ExecutionResult): void;
}

/** Classifies an exit: a supervisor kill wins over the exit code. */
export function classifyExit(exit: ProcessExit, cause: KillCause | undefined): Pick<ExecutionResult, 'outcome' | 'reason'> {
  if (cause === 'oom') return { outcome: 'oom_killed', reason: 'OOMKilled' };
  if (cause === 'unhealthy') return { outcome: 'unhealthy', reason: 'Unhealthy' };
  if (cause === 'stop') return { outcome: 'stopped', reason: 'Command' };
  if (cause === 'restart') return { outcome: 'stopped', reason: 'Command' };
  if (cause === 'update') return { outcome: 'stopped', reason: 'Updated' };
  if (exit.error !== undefined) return { outcome: 'start_error', reason: 'Error' };
  if (exit.code === 0) return { outcome: 'succeeded', reason: 'Completed' };
  return { outcome: 'failed', reason: 'Error' };
}

/**
 * One process life of a task: launch, liveness probing, memory limit, graceful termination
 * (SIGTERM, then SIGKILL after terminationGracePeriodSeconds), and the classified exit.
 */
export class Execution {
  readonly startedAt: number;
  private readonly process: TaskProcess;
  private readonly splitters: Record<OutputStream, LineSplitter>;
  private readonly liveness: LivenessMonitor | undefined;
  private cause: KillCause | undefined;
  private killTimer: TimerHandle | undefined;
  private lastCpuSeconds: number | undefined;
  private done = false;
  unhealthyMessage: string | undefined;

  constructor(
    readonly spec: TaskSpec,
    env: Record<string, string>,
    private readonly deps: ExecutionDeps,
    private readonly hooks: ExecutionHooks,
  ) {
    this.startedAt = deps.clock.now();
    const max = spec.logs.maxLineBytes;
    this.splitters = {
      stdout: new LineSplitter(max, (l) => hooks.lines.line('stdout', l), () => hooks.lines.truncated()),
      stderr: new LineSplitter(max, (l) => hooks.lines.line('stderr', l), () => hooks.lines.truncated()),
    };
    const launch: LaunchSpec = { command: spec.command, env: { ...spec.env, ...env } };
    if (spec.cwd) launch.cwd = spec.cwd;
    if (spec.envFile) launch.envFile = spec.envFile;
    this.process = deps.launcher.launch(launch, {
      onChunk: (stream, chunk) => this.splitters[stream].push(chunk),
      onExit: (exit) => this.onExit(exit),
    });
    const check = spec.livenessProbe && deps.probeCheck?.(spec);
    if (spec.livenessProbe && check) {
      this.liveness = new LivenessMonitor(
        spec.livenessProbe,
        check,
        deps.timers,
        (message) => hooks.probeFailed(message),
        (message) => {
          this.unhealthyMessage = message;
          this.terminate('unhealthy');
        },
      );
      this.liveness.start();
    }
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get exited(): boolean {
    return this.done;
  }

  /** Why the supervisor is ending this process, if it is. */
  get killCause(): KillCause | undefined {
    return this.cause;
  }

  /** Graceful stop: SIGTERM now, SIGKILL after the grace period. The first cause given is kept. */
  terminate(cause: KillCause, graceMs = this.spec.terminationGracePeriodSeconds * 1000): void {
    if (this.done) return;
    this.liveness?.stop();
    if (this.cause === undefined) this.cause = cause;
    if (this.killTimer) return;
    this.process.kill('SIGTERM');
    this.killTimer = this.deps.timers.setTimeout(() => this.process.kill('SIGKILL'), graceMs);
  }

  /** Immediate SIGKILL (memory limit exceeded, like the kernel's OOM killer). */
  kill(cause: KillCause): void {
    if (this.done) return;
    this.liveness?.stop();
    this.cause = cause;
    this.process.kill('SIGKILL');
  }

  /** Reads RSS/CPU from the sampler, reports them, and enforces the memory limit. */
  sample(): void {
    if (this.done || this.process.pid === undefined) return;
    const s = this.deps.sampler.sample(this.process.pid);
    if (!s) return;
    const delta = this.lastCpuSeconds === undefined ? s.cpuSeconds : Math.max(0, s.cpuSeconds - this.lastCpuSeconds);
    this.lastCpuSeconds = s.cpuSeconds;
    this.hooks.sampled(s.rssBytes, delta);
    const limit = this.spec.resources.limits.memory;
    if (limit !== undefined && s.rssBytes > limit && this.cause !== 'oom') this.kill('oom');
  }

  private onExit(exit: ProcessExit): void {
    if (this.done) return;
    this.done = true;
    this.liveness?.stop();
    if (this.killTimer) this.deps.timers.clearTimeout(this.killTimer);
    this.splitters.stdout.end();
    this.splitters.stderr.end();
    const runMs = this.deps.clock.now() - this.startedAt;
    this.hooks.exited({ exit, cause: this.cause, runMs, ...classifyExit(exit, this.cause) });
  }
}
