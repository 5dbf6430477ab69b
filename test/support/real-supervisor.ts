import { systemClock } from '../../common/clock.js';
import { silentLogger } from '../../common/logger.js';
import { cronScheduler } from '../../exporter/adapters/cron-scheduler.js';
import { probeCheckFor } from '../../exporter/adapters/probe-checks.js';
import { procSampler } from '../../exporter/adapters/proc-sampler.js';
import { spawnLauncher } from '../../exporter/adapters/spawn-launcher.js';
import type { TaskSpec } from '../../exporter/config.js';
import { memoryHistoryStore, TaskHistory } from '../../exporter/supervisor/history.js';
import { Supervisor } from '../../exporter/supervisor/supervisor.js';
import { RecordingObserver } from './recording-observer.js';

/** A supervisor with the real adapters (child processes, /proc, probes, node-cron) and a RecordingObserver. */
export function realSupervisor(specs: TaskSpec[], sampleIntervalMs = 100) {
  const log = new RecordingObserver(() => performance.now());
  const lines: Array<{ task: string; stream: string; text: string }> = [];
  const supervisor = new Supervisor(specs, {
    clock: systemClock,
    timers: systemClock,
    launcher: spawnLauncher(process.env),
    sampler: procSampler,
    probeCheck: probeCheckFor,
    observer: log.observer,
    logger: silentLogger,
    linesFor: (s) => ({ line: (stream, text) => lines.push({ task: s.name, stream, text }), truncated() {} }),
    envFor: (s) => ({ EDGEWATCH_TASK: s.name }),
    scheduler: cronScheduler,
    history: new TaskHistory(memoryHistoryStore(), 5),
    sampleIntervalMs,
  });
  return { supervisor, log, lines };
}
