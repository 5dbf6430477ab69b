import pg from 'pg';
import { quoteIdent } from '../store/pg/migrations.js';
import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import { errorOnChange, type Logger } from '../../common/logger.js';
import { ACQUIRE_SQL, CURRENT_SQL, RELEASE_SQL, REPLICAS_SQL, SEEN_SQL } from './lease-sql.js';

/** The lease as the replicas agree on it. */
export interface LeaseOptions {
  url: string;
  schema?: string;
  /** This replica's name (`cluster.replica`), shown in /api/cluster and the leader metric. */
  replica: string;
  /** This process's identity in the lease row: the replica name and a random instance id. */
  holder: string;
  /** Where this replica's API is reached, for standbys to point at (read at every renewal). */
  address?(): string | undefined;
  durationMs: number;
  renewMs: number;
}

/** Who leads, as this replica last saw it. */
export interface LeaderView {
  replica: string;
  holder: string;
  address?: string;
  epoch: number;
  /** Until the lease expires by the database's clock (negative: expired), at the last look. */
  expiresInMs: number;
}

/** A change of role. */
export interface LeaseListener {
  /** This replica now leads with `epoch` (higher than any earlier leader's). */
  elected(epoch: number): void;
  /** This replica no longer leads: it stops acting at once. */
  deposed(reason: string): void;
}

/** What the lease needs from the process: wall clock (for messages), monotonic ms and timers. */
export interface LeaseDeps {
  clock: Clock & Timers;
  /** Monotonic milliseconds (performance.now): a paused process sees the pause, wall clock jumps do not count. */
  monotonic(): number;
  logger: Logger;
}

/**
 * Leader election by a lease row in PostgreSQL (Kubernetes' Lease, decided by the database clock). Every
 * `renewMs` this replica tries to take or renew the lease. A leader believes it leads only until
 * `durationMs - renewMs` after it *sent* its last successful renewal, by its own monotonic clock: the
 * database counts the lease from when it ran the statement, later than that, so the leader stops acting
 * before any standby can take over. A process paused past that (SIGSTOP, a long GC, a partition) finds on
 * waking that it no longer leads before it can do anything, and steps down; the commands it may still
 * have in flight carry its old epoch, which exporters refuse once they have seen the new leader's.
 */
export class LeaderLease {
  readonly name = 'lease';
  private client: pg.Client | undefined;
  private leading = false;
  private epochValue = 0;
  private validUntil = -Infinity;
  private current: LeaderView | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running: Promise<void> = Promise.resolve();
  private readonly failed: ReturnType<typeof errorOnChange>;
  private readonly listeners: LeaseListener[] = [];

  constructor(
    readonly options: LeaseOptions,
    private readonly deps: LeaseDeps,
  ) {
    this.failed = errorOnChange(deps.logger, 'lease renewal failed');
  }

  on(listener: LeaseListener): void {
    this.listeners.push(listener);
  }

  /** True while this replica holds an unexpired lease (checked against the monotonic clock on every call). */
  isLeader(): boolean {
    if (this.leading && this.deps.monotonic() >= this.validUntil) this.stepDown('the lease was not renewed in time');
    return this.leading;
  }

  /** The lease epoch this replica leads with (0 when it does not lead). */
  epoch(): number {
    return this.isLeader() ? this.epochValue : 0;
  }

  /** The leader as last seen (undefined before the first look or when no one holds a live lease). */
  leader(): LeaderView | undefined {
    return this.current;
  }

  /** The first attempt runs before start returns, so a lone replica leads as soon as it is up. */
  async start(): Promise<void> {
    await this.attempt();
    this.schedule();
  }

  /** Stops renewing; a leader gives the lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    await this.running;
    const wasLeader = this.leading;
    this.stepDown('stopping');
    if (wasLeader && this.client) await this.client.query(RELEASE_SQL, ['collector', this.options.holder]).catch(() => undefined);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  /** Replicas seen within three lease durations. */
  async replicas(): Promise<Array<{ replica: string; holder: string; address: string | null; seenMsAgo: number }>> {
    const c = await this.connection();
    const r = await c.query<{ replica: string; holder: string; address: string | null; seen_ms_ago: number }>(REPLICAS_SQL, [this.options.durationMs * 3]);
    return r.rows.map((x) => ({ replica: x.replica, holder: x.holder, address: x.address, seenMsAgo: Math.round(x.seen_ms_ago) }));
  }

  private schedule(): void {
    if (this.stopped) return;
    // a leader renews every renewMs; so does a standby, so it notices an expired lease within renewMs
    this.timer = this.deps.clock.setTimeout(() => {
      this.running = this.attempt().finally(() => this.schedule());
    }, this.options.renewMs);
  }

  /** One try to take or renew the lease; never throws. */
  private async attempt(): Promise<void> {
    const sentAt = this.deps.monotonic();
    try {
      const c = await this.connection();
      const { holder, replica, durationMs } = this.options;
      const address = this.options.address?.();
      const won = await c.query<{ epoch: string | number }>(ACQUIRE_SQL, ['collector', holder, replica, address ?? null, durationMs]);
      await c.query(SEEN_SQL, [replica, holder, address ?? null]);
      if (this.stopped) return;
      if (won.rows[0]) {
        const epoch = Number(won.rows[0].epoch);
        this.validUntil = sentAt + durationMs - this.options.renewMs;
        this.current = { replica, holder, ...(address ? { address } : {}), epoch, expiresInMs: durationMs };
        if (!this.leading || epoch !== this.epochValue) this.elect(epoch);
      } else {
        const r = await c.query<{ holder: string; replica: string; address: string | null; epoch: string | number; expires_in_ms: number }>(CURRENT_SQL, ['collector']);
        const row = r.rows[0];
        this.current = row ? { replica: row.replica, holder: row.holder, ...(row.address ? { address: row.address } : {}), epoch: Number(row.epoch), expiresInMs: Math.round(row.expires_in_ms) } : undefined;
        if (this.leading) this.stepDown(`${row?.replica ?? 'another replica'} holds the lease now (epoch ${row?.epoch ?? '?'})`);
      }
      this.failed.ok();
    } catch (err) {
      this.failed(err);
      this.dropConnection();
      // no renewal: isLeader() steps down by itself once validUntil passes
      this.isLeader();
    }
  }

  private elect(epoch: number): void {
    this.leading = true;
    this.epochValue = epoch;
    this.deps.logger.info('this replica leads', { replica: this.options.replica, epoch });
    for (const l of this.listeners) l.elected(epoch);
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.validUntil = -Infinity;
    // who leads now is known at the next look; until then, not this replica
    if (this.current?.holder === this.options.holder) this.current = undefined;
    this.deps.logger.warn('this replica no longer leads', { replica: this.options.replica, epoch: this.epochValue, reason });
    for (const l of this.listeners) l.deposed(reason);
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const c = new pg.Client({
      connectionString: this.options.url,
      application_name: `edgewatch-lease-${this.options.replica}`,
      // a renewal that cannot finish within one period is a failed renewal
      statement_timeout: this.options.renewMs,
      query_timeout: this.options.renewMs,
      connectionTimeoutMillis: this.options.renewMs,
    });
    c.on('error', () => {
      if (this.client === c) this.client = undefined;
    });
    await c.connect();
    if (this.options.schema) await c.query(`SET search_path TO ${quoteIdent(this.options.schema)}`);
    this.client = c;
    return c;
  }

  private dropConnection(): void {
    const c = this.client;
    this.client = undefined;
    void c?.end().catch(() => undefined);
  }
}
