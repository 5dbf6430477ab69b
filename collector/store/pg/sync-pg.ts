import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { EdgewatchError } from '../../../common/errors.js';

/** Rows of one statement, with the count PostgreSQL reports for INSERT/UPDATE/DELETE. */
export interface PgResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number;
}

/** An error PostgreSQL (or the connection to it) returned; `code` is its SQLSTATE when it has one. */
export class PgQueryError extends EdgewatchError {
  constructor(
    message: string,
    readonly sqlState?: string,
  ) {
    super('EW_PG_QUERY', message);
    this.name = 'PgQueryError';
  }
}

/** Where a {@link SyncPg} connects. */
export interface SyncPgOptions {
  /** `postgres://user@host:port/db` */
  url: string;
  /** Tables live in this schema (search_path); unset: the server's default. */
  schema?: string;
  /** A query that takes longer fails (the thread was blocked this long). */
  timeoutMs?: number;
  applicationName?: string;
}

/**
 * PostgreSQL behind a synchronous call, for the collector's stores whose interfaces are synchronous (they
 * were written for SQLite): a worker thread owns one `pg` connection, and the caller blocks on an
 * Atomics wait until the worker has the answer (the technique of synckit). One connection, one query at
 * a time, in order, so BEGIN ... COMMIT from the caller make a transaction. Each call costs a round trip
 * to the server on the caller's thread: fine for state writes and reads; log batches go through
 * {@link SyncPg.queryAsync} on the same connection without blocking. The lease, which must never wait
 * behind either, has its own asynchronous connection.
 */
export class SyncPg {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  /** Depth of nested transaction() calls (only the outermost one begins and commits). */
  private txDepth = 0;
  /** Replies awaited by {@link queryAsync}, by request id. */
  private readonly awaited = new Map<number, { resolve(r: PgResult): void; reject(err: Error): void }>();

  constructor(private readonly options: SyncPgOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./sync-pg-worker.js', import.meta.url), {
      workerData: { url: options.url, schema: options.schema, flag: this.flag, port: port2, applicationName: options.applicationName ?? 'edgewatch-collector' },
      transferList: [port2],
    });
    this.worker.unref();
    this.port.on('message', (m: Reply) => this.settle(m));
    // after the listener (which refs the port): an idle connection never keeps the process alive
    this.port.unref();
  }

  /**
   * Runs one statement without blocking the caller: the answer comes back as a promise. Statements run in
   * the order they were sent, sync or not; a transaction() cannot be split by one (it runs whole before
   * the caller's thread can send anything else), so an async statement always runs on its own, as one
   * implicit transaction.
   */
  queryAsync<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): Promise<PgResult<R>> {
    if (this.closed) return Promise.reject(new PgQueryError('the PostgreSQL store is closed'));
    const id = this.nextId++;
    this.port.postMessage({ id, text, params: params.map(toWire) });
    return new Promise((resolve, reject) => this.awaited.set(id, { resolve: resolve as (r: PgResult) => void, reject }));
  }

  private settle(reply: Reply): void {
    const waiter = this.awaited.get(reply.id);
    if (!waiter) return; // a synchronous call that timed out earlier
    this.awaited.delete(reply.id);
    if (reply.error !== undefined) waiter.reject(new PgQueryError(`PostgreSQL: ${reply.error}`, reply.code));
    else waiter.resolve({ rows: (reply.rows ?? []).map(fromWire), rowCount: reply.rowCount ?? 0 });
  }

  /** Runs one statement with `$1`-style parameters and returns its rows. */
  query<R = Record<string, unknown>>(text: string, params: readonly unknown[] = []): PgResult<R> {
    return this.call({ text, params: params.map(toWire) }) as PgResult<R>;
  }

  /** Runs several statements in one round trip (DDL, migrations); nothing is returned. */
  script(text: string): void {
    this.call({ text, script: true });
  }

  /** Runs `fn` in a transaction: COMMIT when it returns, ROLLBACK when it throws. Nested calls join the outer one. */
  transaction<T>(fn: () => T): T {
    if (this.txDepth > 0) return fn();
    this.query('BEGIN');
    this.txDepth++;
    try {
      const out = fn();
      this.txDepth--;
      this.query('COMMIT');
      return out;
    } catch (err) {
      this.txDepth--;
      try {
        this.query('ROLLBACK');
      } catch {
        // the connection is gone: the server rolled back already
      }
      throw err;
    }
  }

  get inTransaction(): boolean {
    return this.txDepth > 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.postMessage('close');
    // the worker ends its connection and exits; nothing waits for it
    setTimeout(() => void this.worker.terminate(), 2000).unref();
  }

  private call(req: { text: string; params?: unknown[]; script?: boolean }): PgResult {
    if (this.closed) throw new PgQueryError('the PostgreSQL store is closed');
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage({ id, ...req });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
        throw new PgQueryError(`PostgreSQL did not answer within ${this.timeoutMs} ms (${redactUrl(this.options.url)}): ${req.text.slice(0, 80)}`);
      }
      Atomics.store(this.flag, 0, 0);
      // answers to calls that timed out earlier are skipped
      for (let m = receiveMessageOnPort(this.port); m; m = receiveMessageOnPort(this.port)) {
        const reply = m.message as Reply;
        if (reply.id !== id) {
          // an async statement's answer (or a late one of a call that timed out)
          this.settle(reply);
          continue;
        }
        if (reply.error !== undefined) throw new PgQueryError(`PostgreSQL: ${reply.error}`, reply.code);
        return { rows: (reply.rows ?? []).map(fromWire), rowCount: reply.rowCount ?? 0 };
      }
    }
  }
}

/** What the worker answers to request `id`. */
interface Reply {
  id: number;
  rows?: Record<string, unknown>[];
  rowCount?: number;
  error?: string;
  code?: string;
}

/** Buffers cross the thread boundary as Uint8Array; pg takes either. */
function toWire(v: unknown): unknown {
  return v === undefined ? null : v;
}

/** bytea values arrive as Uint8Array: turned back into Buffers, as better-sqlite3 returns BLOBs. */
function fromWire(row: Record<string, unknown>): Record<string, unknown> {
  for (const k in row) {
    const v = row[k];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
