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

/** Appends per sender over one second: who else is writing, and how often. */
class SenderRates {
  private epochStart = 0;
  private current = new Map<string, number>();
  private currentTotal = 0;
  private previous = new Map<string, number>();
  private previousTotal = 0;

  count(sender: string, nowMs: number): void {
    if (nowMs - this.epochStart >= 1000) {
      // a gap longer than a second leaves nothing to go by
      const adjacent = nowMs - this.epochStart < 2000;
      this.previous = adjacent ? this.current : new Map();
      this.previousTotal = adjacent ? this.currentTotal : 0;
      this.current = new Map();
      this.currentTotal = 0;
      this.epochStart = nowMs;
    }
    this.current.set(sender, (this.current.get(sender) ?? 0) + 1);
    this.currentTotal++;
  }

  /** Appends per second from senders other than `sender`, over the last whole second. */
  othersPerSecond(sender: string): number {
    return this.previousTotal - (this.previous.get(sender) ?? 0);
  }
}

/**
 * Group commit: appends from every connection within a few milliseconds go to the store in one
 * transaction, and each resolves (so its chunk is acked) only after that commit. Durability is the same
 * as one transaction per chunk; what a commit costs (pages written twice through the WAL) is shared by
 * every chunk in it, so a fleet of small senders no longer pays it per chunk. A large chunk fills the
 * group by itself and commits at once.
 *
 * Waiting only pays when company is coming: an append waits the window when other senders have been
 * appending at least every other window over the last second. Otherwise (one exporter draining its
 * backlog chunk after chunk, each sent only once the last is acked, or a quiet fleet) the group commits
 * at the end of the current event-loop turn, with whatever arrived in it, and the ack goes out at once.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private records = 0;
  private timer: TimerHandle | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private readonly rates = new SenderRates();

  constructor(
    private readonly store: EventStore,
    private readonly timers: Timers & { now(): number },
    private readonly options: GroupCommitOptions,
  ) {}

  append(request: AppendRequest): Promise<{ duplicate: boolean }> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ...request, resolve, reject });
      this.records += request.batch.events.length;
      const sender = request.batch.events[0]?.node ?? request.batch.tag;
      this.rates.count(sender, this.timers.now());
      if (this.records >= this.options.maxRecords) return this.commit();
      if (this.timer || this.immediate) return;
      const companyPerWindow = (this.rates.othersPerSecond(sender) * this.options.windowMs) / 1000;
      if (companyPerWindow >= 0.5) this.timer = this.timers.setTimeout(() => this.commit(), this.options.windowMs);
      else this.immediate = setImmediate(() => this.commit());
    });
  }

  /** Commits what is waiting now (at stop, so nothing received is left unwritten; an async store finishes the write before it closes). */
  commit(): void {
    if (this.timer) this.timers.clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
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
