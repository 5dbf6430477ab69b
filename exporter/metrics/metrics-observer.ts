import type { TaskObserver } from '../supervisor/observer.js';
import type { TaskMetrics } from './task-metrics.js';

/** Moves the task metrics on supervisor events. */
export function metricsObserver(m: TaskMetrics): TaskObserver {
  return {
    added(task, version, job) {
      m.series(task);
      if (job) m.registerJob(task);
      m.setVersion(task, version);
    },
    versionChanged: (task, version) => m.setVersion(task, version),
    stateChanged: (task, state) => m.setState(task, state),
    started: (task) => m.started(task),
    exited: (task, outcome) => m.exited(task, outcome),
    restartScheduled: (task, _reason, delayMs) => m.setBackoff(task, delayMs),
    restarted: (task, reason) => m.restarted(task, reason),
    probeFailed: (task) => m.probeFailed(task),
    jobRun: (task, result, durationMs) => m.jobRun(task, result, durationMs),
    sampled: (task, rss, cpu) => m.sampled(task, rss, cpu),
    removed: (task) => m.unregister(task),
  };
}
