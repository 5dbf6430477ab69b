import type { ExitOutcome, JobResult, RestartReason, TaskState } from '../../protocol/task-states.js';
import type { ProcessExit } from './launcher.js';

/** Lifecycle events of supervised tasks; metrics, logs and the control channel each implement what they need. */
export interface TaskObserver {
  /** A task is now supervised (from the config file or an apply command). */
  added?(task: string, version: string, job: boolean): void;
  stateChanged?(task: string, state: TaskState, version: string): void;
  started?(task: string, version: string, pid: number | undefined): void;
  exited?(task: string, outcome: ExitOutcome, exit: ProcessExit, runMs: number): void;
  /** A restart was scheduled `delayMs` from now. */
  restartScheduled?(task: string, reason: RestartReason, delayMs: number): void;
  /** A restart happened (counted when the process is launched again). */
  restarted?(task: string, reason: RestartReason): void;
  probeFailed?(task: string, message: string): void;
  jobRun?(task: string, result: JobResult, durationMs?: number): void;
  sampled?(task: string, rssBytes: number, cpuDeltaSeconds: number): void;
  versionChanged?(task: string, version: string): void;
  removed?(task: string): void;
}

/** Every event of {@link TaskObserver}, for observers that handle them all alike. */
export const OBSERVER_EVENTS = ['added', 'stateChanged', 'started', 'exited', 'restartScheduled', 'restarted', 'probeFailed', 'jobRun', 'sampled', 'versionChanged', 'removed'] as const;

/** One observer that forwards every event to each of `observers`, in order. */
export function fanoutObserver(...observers: TaskObserver[]): Required<TaskObserver> {
  const out = {} as Record<string, (...args: unknown[]) => void>;
  for (const event of OBSERVER_EVENTS) {
    const targets = observers.filter((o) => typeof o[event] === 'function');
    out[event] = (...args: unknown[]) => {
      for (const o of targets) (o[event] as (...a: unknown[]) => void).apply(o, args);
    };
  }
  return out as unknown as Required<TaskObserver>;
}
