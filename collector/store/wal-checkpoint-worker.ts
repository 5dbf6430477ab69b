import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/**
 * The store's checkpointer thread: its own connection to the store file, copying the WAL into the
 * database every `intervalMs` (PASSIVE: it never waits for, or blocks, the writer on the main thread).
 */
const { path, intervalMs } = workerData as { path: string; intervalMs: number };
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
let db: Database.Database;
try {
  db = new Database(path, { fileMustExist: true });
  db.pragma('busy_timeout = 0');
} catch (err) {
  parentPort?.postMessage({ error: `cannot open ${path} for checkpoints: ${messageOf(err)}` });
  process.exit(1);
}

setInterval(() => {
  try {
    const [result] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    parentPort?.postMessage({ log: result?.log ?? 0, checkpointed: result?.checkpointed ?? 0 });
  } catch (err) {
    parentPort?.postMessage({ error: `WAL checkpoint of ${path} failed: ${messageOf(err)}` });
  }
}, intervalMs);

parentPort?.on('message', (m) => {
  if (m !== 'close') return;
  db.close();
  process.exit(0);
});
