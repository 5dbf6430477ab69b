import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { LogRecord } from '../../protocol/log-record.js';
import { reasonOf, type ProblemReporter } from '../health/conditions.js';
import type { Lane, Spool, SpoolBatch } from './spool.js';

/** What the guard reports: records it had to drop, and the spool's problem (undefined when it recovers). */
export interface GuardEvents {
  dropped(records: number): void;
  problem: ProblemReporter;
}

export interface GuardOptions {
  /** Where the spool lives (for messages). */
  dir: string;
  /** Reported as capacity while no spool is open. */
  maxBytes: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** At most one "still dropping" line per this many ms. */
  logEveryMs: number;
}

/** A removed or replaced spool directory, as an error with the errno code that says so. */
function dirGone(dir: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`spool.dir ${dir} was removed or replaced`), { code: 'ENOENT' });
}

/** What the operator reads in /readyz and the log: the key, the directory, what went wrong, what happens now. */
function describe(err: unknown, dir: string): string {
  const what: Record<string, string> = {
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
    ENOENT: 'the directory was removed (it is created again on the next retry)',
    ENOTDIR: 'not a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EIO: 'I/O error',
  };
  const code = (err as NodeJS.ErrnoException).code;
  const why = (code && what[code]) ?? errorMessage(err);
  return `spool.dir ${dir}: ${why}; log records are dropped (edgewatch_dropped_records_total{reason="spool_error"}) until a retry works`;
}

/**
 * The spool's failure mode: the disk under `spool.dir` may fill up, turn read-only or vanish, and the
 * exporter goes on. A refused write drops the records in hand (counted as `spool_error`), reports the
 * problem, and retries with backoff: the write path stays shut until a test write works, while records
 * already on disk can still be shipped and acked (which frees space). A directory that was removed is
 * opened afresh; what it held is counted as dropped. Nothing here throws.
 */
export class GuardedSpool {
  private spool: Spool | undefined;
  private failing = false;
  private failures = 0;
  private timer: TimerHandle | undefined;
  private droppedSinceLine = 0;
  private droppedInEpisode = 0;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly open: () => Spool,
    private readonly options: GuardOptions,
    private readonly clock: Clock & Timers,
    private readonly events: GuardEvents,
    private readonly logger: Logger,
  ) {}

  /** Opens the spool, or starts retrying when the disk refuses. */
  start(): void {
    this.closed = false;
    this.attempt();
  }

  append(record: LogRecord): void {
    if (!this.spool || this.failing) return this.drop(1);
    this.guard(() => this.spool!.append(record));
  }

  flush(): void {
    if (this.spool && !this.failing) this.guard(() => this.spool!.flush());
  }

  nextBatch(lane: Lane, maxRecords: number, maxBytes: number): SpoolBatch | undefined {
    if (!this.spool) return undefined;
    try {
      return this.spool.nextBatch(lane, maxRecords, maxBytes);
    } catch (err) {
      this.fail(err);
      return undefined;
    }
  }

  ack(batch: SpoolBatch): void {
    if (this.spool) this.guard(() => this.spool!.ack(batch));
  }

  sealActive(): void {
    if (this.spool && !this.failing) this.guard(() => this.spool!.sealActive());
  }

  stats(): ReturnType<Spool['stats']> {
    return this.spool?.stats() ?? { records: 0, bytes: 0, capacityBytes: this.options.maxBytes, backlogSegments: 0 };
  }

  /** The periodic write of ack offsets; also notices a spool directory that was removed or replaced. */
  persist(): void {
    if (!this.spool || this.failing) return;
    if (!this.spool.dirIntact()) return this.fail(dirGone(this.options.dir));
    this.guard(() => this.spool!.persist());
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const spool = this.spool;
    this.spool = undefined;
    if (!spool) return;
    try {
      if (this.failing) spool.release();
      else spool.close();
    } catch (err) {
      this.logger.warn('spool not closed cleanly; records not yet written are lost', { err: errorMessage(err) });
    }
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
    }
  }

  private attempt(): void {
    try {
      if (this.spool && !this.spool.dirIntact()) this.discard();
      this.spool ??= this.open();
      this.spool.flush(); // a segment rotation that failed is retried here
      this.spool.probe();
      this.recovered();
    } catch (err) {
      this.fail(err);
    }
  }

  private fail(err: unknown): void {
    const spool = this.spool;
    const gone = spool !== undefined && !spool.dirIntact();
    if (gone) err = dirGone(this.options.dir);
    this.events.problem({ code: 'EW_SPOOL_WRITE', reason: reasonOf(err), message: describe(err, this.options.dir) });
    if (!this.failing) {
      this.failing = true;
      this.failures = 0;
      this.droppedInEpisode = 0;
    }
    if (spool) {
      this.drop(spool.dropPending());
      if (gone) this.discard();
    }
    this.scheduleRetry();
  }

  /** Forgets a spool whose directory is gone: the records it held are lost with it. */
  private discard(): void {
    const spool = this.spool!;
    this.spool = undefined;
    this.drop(spool.stats().records);
    spool.release();
  }

  private scheduleRetry(): void {
    if (this.timer || this.closed) return;
    const delay = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** this.failures++);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.attempt();
    }, delay);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.failures = 0;
    this.events.problem(undefined);
    this.logger.info('spool writes again', { dir: this.options.dir, droppedWhileFailing: this.droppedInEpisode });
  }

  /** Counts dropped records; says so in the log at most once per `logEveryMs`. */
  private drop(records: number): void {
    if (records <= 0) return;
    this.events.dropped(records);
    this.droppedInEpisode += records;
    this.droppedSinceLine += records;
    const now = this.clock.now();
    if (now - this.lastLineAt < this.options.logEveryMs) return;
    this.logger.warn('spool dropping records', { dir: this.options.dir, dropped: this.droppedSinceLine, reason: 'spool_error' });
    this.lastLineAt = now;
    this.droppedSinceLine = 0;
  }
}
