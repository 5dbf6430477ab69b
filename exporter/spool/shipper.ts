import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { TokenBucket } from '../../common/token-bucket.js';
import type { LogRecord } from '../../protocol/log-record.js';
import type { Lane, SpoolBatch, SpoolReader } from './spool.js';

/** Sends records to the collector and resolves only when every one of them is acked. */
export interface ForwardClient {
  send(records: LogRecord[]): Promise<void>;
  /** Drops the connection after a failure; the next send reconnects. */
  reset(): void;
  close(): Promise<void>;
}

/** What the shipper reports (the agent's metrics). */
export interface ShipperEvents {
  shipped(records: number, lane: Lane): void;
  failed(reason: string): void;
  connected(up: boolean): void;
}

export interface ShipperOptions {
  batchRecords: number;
  batchBytes: number;
  /** Backlog (data from before the link came back) drains at most this fast; live records are not limited. */
  drainRecordsPerSecond: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

/**
 * Moves records from the spool to the collector, one acked batch at a time: a batch leaves the spool only
 * when its chunk is acked; a failed or unacked batch is resent after a jittered backoff (the collector
 * stores a record once by its spool id and sequence). Live and backlog batches alternate, and the backlog
 * is rate-limited, so a long outage drains steadily without starving fresh records.
 */
export class Shipper {
  readonly name = 'shipper';
  private running = false;
  private sending = false;
  private failures = 0;
  private lastLane: Lane = 'backlog';
  private timer: TimerHandle | undefined;
  private readonly bucket: TokenBucket;
  private idle: Promise<void> = Promise.resolve();
  private idleResolve: (() => void) | undefined;

  constructor(
    private readonly spool: SpoolReader,
    private readonly client: ForwardClient,
    private readonly options: ShipperOptions,
    private readonly clock: Clock & Timers,
    private readonly events: ShipperEvents,
    private readonly logger: Logger,
    private readonly random: () => number = Math.random,
  ) {
    this.bucket = new TokenBucket(options.drainRecordsPerSecond, Math.max(options.drainRecordsPerSecond, options.batchRecords), clock.now());
  }

  start(): void {
    this.running = true;
    this.wake();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    await this.idle;
    await this.client.close();
  }

  /** Called when records were appended: ships now unless a batch is in flight or a retry is pending. */
  wake(): void {
    if (!this.running || this.sending || this.timer) return;
    void this.shipOne();
  }

  private schedule(delayMs: number): void {
    if (this.timer || !this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.shipOne();
    }, delayMs);
  }

  private pick(): SpoolBatch | undefined {
    const now = this.clock.now();
    const backlogFirst = this.lastLane === 'live';
    const backlog = () => {
      const allowance = Math.min(this.options.batchRecords, Math.floor(this.bucket.available(now)));
      if (allowance === 0) return undefined;
      const b = this.spool.nextBatch('backlog', allowance, this.options.batchBytes);
      if (b) this.bucket.take(now, b.records.length);
      return b;
    };
    const live = () => this.spool.nextBatch('live', this.options.batchRecords, this.options.batchBytes);
    return backlogFirst ? (backlog() ?? live()) : (live() ?? backlog());
  }

  private async shipOne(): Promise<void> {
    if (!this.running || this.sending) return;
    // a retry: what piled up during the outage becomes backlog, the live lane restarts with fresh records
    if (this.failures > 0) this.spool.sealActive();
    const batch = this.pick();
    if (!batch) {
      // nothing to send now; backlog waiting for tokens comes back when they accrue
      if (this.spool.stats().backlogSegments > 0) this.schedule(Math.max(10, this.bucket.waitMs(this.clock.now(), 1)));
      return;
    }
    this.sending = true;
    this.idle = new Promise((r) => (this.idleResolve = r));
    try {
      await this.client.send(batch.records);
      this.spool.ack(batch);
      this.lastLane = batch.lane;
      this.events.shipped(batch.records.length, batch.lane);
      if (this.failures > 0) {
        this.logger.info('log shipping resumed', { afterFailures: this.failures });
        this.events.connected(true);
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.client.reset();
      const reason = err instanceof Error ? err.message : String(err);
      this.events.failed(reason);
      if (this.failures === 1) {
        this.events.connected(false);
        this.logger.warn('log shipping failed; records stay in the spool', { err: reason });
      }
    } finally {
      this.sending = false;
      this.idleResolve?.();
    }
    if (this.failures > 0) {
      const base = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** (this.failures - 1));
      this.schedule(base / 2 + this.random() * (base / 2));
    } else {
      this.wake();
    }
  }
}
