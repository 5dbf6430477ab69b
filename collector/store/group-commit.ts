import type { TimerHandle, Timers } from '../../common/clock.js';
import type { AppendRequest, EventStore } from './event-store.js';

/** How long appends wait for company, and how much company is enough. */
export interface GroupCommitOptions {
  /** Appends arriving within this window of the first one share a transaction. */
  windowMs: number;
  /** A group this large commits at once, without waiting for the window. */
  maxRecords: number;
}

interface Pending extends AppendRequest {
  resolve(r: { duplicate: boolean }): void;
  reject(err: unknown): void;
}

/**
 * Group commit: appends from every connection within a few milliseconds go to the store in one
 * transaction, and each resolves (so its chunk is acked) only after that commit. Durability is the same
 * as one transaction per chunk; what a commit costs (pages written twice through the WAL, an fsync) is
 * shared by every chunk in it, so a fleet of small senders no longer pays it per chunk. A large chunk
 * fills the group by itself and commits at once.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private records = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly timers: Timers,
    private readonly options: GroupCommitOptions,
  ) {}

  append(request: AppendRequest): Promise<{ duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...request, resolve, reject });
      this.records += request.batch.events.length;
      if (this.records >= this.options.maxRecords) this.commit();
      else this.timer ??= this.timers.setTimeout(() => this.commit(), this.options.windowMs);
    });
  }

  /** Commits what is waiting now (at stop, so nothing received is left unwritten; an async store finishes the write before it closes). */
  commit(): void {
    if (this.timer) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.pending;
    if (group.length === 0) return;
    this.pending = [];
    this.records = 0;
    const failed = (err: unknown) => {
      // nothing of the group is acked: every sender keeps its chunk and sends it again
      for (const p of group) p.reject(err);
    };
    const done = (results: Array<{ duplicate: boolean }>) => group.forEach((p, i) => p.resolve(results[i]!));
    try {
      if (this.store.appendManyAsync) this.store.appendManyAsync(group).then(done, failed);
      else done(this.store.appendMany(group));
    } catch (err) {
      failed(err);
    }
  }
}
