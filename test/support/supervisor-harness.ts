import { FakeClock } from '../../common/clock.js';
import { silentLogger } from '../../common/logger.js';
import { finishTaskSpec, taskSpecSchema, type TaskSpec, type TaskSpecInput } from '../../exporter/config.js';
import type { LineHandler } from '../../exporter/supervisor/execution.js';
import { memoryHistoryStore, TaskHistory } from '../../exporter/supervisor/history.js';
import type { Scheduler } from '../../exporter/supervisor/job-runner.js';
import type { ProbeCheck } from '../../exporter/supervisor/liveness.js';
import type { RunnerDeps } from '../../exporter/supervisor/runner.js';
import { Supervisor, type SupervisorDeps } from '../../exporter/supervisor/supervisor.js';
import { FakeLauncher, FakeSampler } from './fake-launcher.js';
import { RecordingObserver } from './recording-observer.js';

/** A validated task spec from partial input (defaults applied exactly as from a config file). */
export function spec(input: Partial<TaskSpecInput> & { name?: string }): TaskSpec {
  return finishTaskSpec(taskSpecSchema.parse({ name: 'web', command: ['node', 'server.js'], ...input }));
}

/** A scheduler the test ticks by hand. */
export class ManualScheduler implements Scheduler {
  readonly jobs: Array<{ expression: string; fn: () => void; stopped: boolean }> = [];
  schedule(expression: string, fn: () => void) {
    const job = { expression, fn, stopped: false };
    this.jobs.push(job);
    return { stop: () => void (job.stopped = true) };
  }
  tick(): void {
    for (const j of this.jobs) if (!j.stopped) j.fn();
  }
}

/** Fake clock, launcher, sampler, scheduler and probes around real runners. */
export function harness(options: { probe?: ProbeCheck } = {}) {
  const clock = new FakeClock();
  const launcher = new FakeLauncher();
  const sampler = new FakeSampler();
  const scheduler = new ManualScheduler();
  const observer = new RecordingObserver(() => clock.now());
  const lines: Array<{ task: string; stream: string; text: string }> = [];
  const deps: RunnerDeps & SupervisorDeps = {
    clock,
    timers: clock,
    launcher,
    sampler,
    ...(options.probe ? { probeCheck: () => options.probe } : {}),
    observer: observer.observer,
    logger: silentLogger,
    linesFor: (s): LineHandler => ({ line: (stream, text) => lines.push({ task: s.name, stream, text }), truncated() {} }),
    envFor: (s) => ({ EDGEWATCH_TASK: s.name }),
    scheduler,
    history: new TaskHistory(memoryHistoryStore(), 5),
    sampleIntervalMs: 1000,
  };
  return { clock, launcher, sampler, scheduler, observer, lines, deps, supervisor: (specs: TaskSpec[]) => new Supervisor(specs, deps) };
}

/** Lets pending promise callbacks run (probe results, awaited stops) without moving the fake clock. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
