// Example job (a task with a cron schedule): pretends to clean up old files, logs what it did as JSON
// lines and exits 0. FAIL_RATE (0..1, default 0) makes a run fail with exit code 1 that often.
import { randomBytes } from 'node:crypto';

const failRate = Number(process.env.FAIL_RATE ?? 0);
const traceId = randomBytes(16).toString('hex');
const log = (fields) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), trace_id: traceId, ...fields }) + '\n');

log({ level: 'info', msg: 'cleanup started' });
const removed = Math.floor(Math.random() * 20);
setTimeout(() => {
  if (Math.random() < failRate) {
    log({ level: 'error', msg: 'cleanup failed: disk busy' });
    process.exit(1);
  }
  log({ level: 'info', msg: `cleanup done, removed ${removed} files`, removed });
}, 500 + Math.random() * 1500);
