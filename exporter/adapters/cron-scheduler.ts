import cron from 'node-cron';
import type { Scheduler } from '../supervisor/job-runner.js';

/** node-cron behind the Scheduler interface (5 fields, or 6 with leading seconds). */
export const cronScheduler: Scheduler = {
  schedule(expression, fn) {
    const task = cron.schedule(expression, fn);
    return { stop: () => void task.stop() };
  },
};
