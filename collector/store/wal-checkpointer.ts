import { Worker } from 'node:worker_threads';

/** What one checkpoint did: WAL frames in the log, and how many of them are in the database now. */
export interface CheckpointResult {
  log: number;
  checkpointed: number;
}

/**
 * Runs the store's WAL checkpoints on a worker thread. A checkpoint copies what the WAL holds into the
 * database and syncs it: tens to hundreds of milliseconds under fleet load, which on the event loop
 * stalled every connection's acks. The writer's own automatic checkpoint stays on, set far beyond what
 * the worker lets the WAL reach, as a backstop.
 */
export class WalCheckpointer {
  private readonly worker: Worker;

  constructor(
    path: string,
    intervalMs: number,
    onError: (err: Error) => void,
    onCheckpoint: (result: CheckpointResult) => void = () => {},
  ) {
    this.worker = new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), { workerData: { path, intervalMs } });
    this.worker.on('error', onError);
    this.worker.on('message', (m: CheckpointResult | { error: string }) => {
      if ('error' in m) onError(new Error(m.error));
      else onCheckpoint(m);
    });
    // after the listeners (adding one refs the port again): the thread never keeps the process alive
    this.worker.unref();
  }

  /** Stops the thread (it closes its connection first). */
  stop(): void {
    this.worker.postMessage('close');
  }
}
