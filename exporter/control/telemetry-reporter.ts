import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import { every } from '../../common/clock.js';
import { errorOnChange, type Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import type { Heartbeat, StateMessage, TaskStatusWire } from '../../protocol/telemetry.js';
import { topics } from '../../protocol/topics.js';
import type { TaskObserver } from '../supervisor/observer.js';

/** What the reporter reads from the rest of the exporter. */
export interface TelemetrySources {
  tasks(): TaskStatusWire[];
  load(): { cpu: number; memoryBytes: number; memoryTotalBytes: number };
  spool(): { records: number; bytes: number };
  epoch(): number;
  /** The edge rule set the node runs, when edge rules are on. */
  rules?(): { version: number; digest: string; source: 'cloud' | 'pinned' | 'none' };
}

export interface TelemetryOptions {
  node: string;
  bootId: string;
  version: string;
  heartbeatMs: number;
  /** Task changes within this window go out as one delta. */
  coalesceMs: number;
  labels: Record<string, string>;
  taints: Heartbeat['taints'];
  maxTasks: number;
}

/**
 * Publishes the node's heartbeat (with load and the link's round trip) and task state: deltas with a
 * per-boot sequence number as tasks change, a full snapshot on every (re)connection and on request. A gap
 * in `seq` tells the collector to ask for a snapshot.
 *
 * The round trip is the time from publishing a heartbeat (QoS 1) to the broker's PUBACK: it needs no
 * topic beyond the node's own heartbeat, which least-privilege ACLs let a node write but not read
 * (examples/compose/mosquitto/acl). A heartbeat whose PUBACK came over a newer connection is not a sample.
 */
export class TelemetryReporter {
  readonly name = 'telemetry';
  private seq = 0;
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: TimerHandle | undefined;
  private stopHeartbeat: (() => void) | undefined;
  private lastLatencyMs: number | undefined;
  /** Counts connection changes, so a round trip that spans a reconnection is discarded. */
  private links = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly sources: TelemetrySources,
    private readonly options: TelemetryOptions,
    private readonly clock: Clock & Timers,
    private readonly logger: Logger,
  ) {}

  /** Marks tasks dirty on supervisor events. */
  observer(): TaskObserver {
    const mark = (task: string) => this.markDirty(task);
    return {
      stateChanged: mark,
      started: mark,
      exited: mark,
      versionChanged: mark,
      added: mark,
      removed: (task) => {
        this.dirty.delete(task);
        this.removed.add(task);
        this.schedule();
      },
    };
  }

  async start(): Promise<void> {
    this.bus.onConnection((up) => {
      this.links++;
      if (!up) return;
      // a heartbeat at once, so the collector takes the node back online now rather than at the next beat
      void this.heartbeat().catch((err) => this.logger.debug('heartbeat failed', { err }));
      void this.snapshot();
    });
    if (this.bus.connected) await this.snapshot();
    this.stopHeartbeat = every(this.clock, this.options.heartbeatMs, () => this.heartbeat(), errorOnChange(this.logger, 'heartbeat failed'));
    await this.heartbeat();
  }

  stop(): void {
    this.stopHeartbeat?.();
    if (this.flushTimer) this.clock.clearTimeout(this.flushTimer);
  }

  /** The last measured round trip through the broker, ms. */
  get latencyMs(): number | undefined {
    return this.lastLatencyMs;
  }

  /** Sends a heartbeat now (a new rule set, the link back), besides the periodic ones. */
  beat(): void {
    void this.heartbeat().catch((err) => this.logger.debug('heartbeat failed', { err }));
  }

  /** Publishes the state of every task. */
  async snapshot(): Promise<void> {
    this.dirty.clear();
    this.removed.clear();
    await this.publishState('snapshot', this.sources.tasks(), []);
  }

  private markDirty(task: string): void {
    this.dirty.add(task);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      void this.flushDelta();
    }, this.options.coalesceMs);
  }

  private async flushDelta(): Promise<void> {
    if (this.dirty.size === 0 && this.removed.size === 0) return;
    const names = new Set(this.dirty);
    const removed = [...this.removed];
    this.dirty.clear();
    this.removed.clear();
    await this.publishState('delta', this.sources.tasks().filter((t) => names.has(t.name)), removed);
  }

  private async publishState(kind: 'delta' | 'snapshot', tasks: TaskStatusWire[], removed: string[]): Promise<void> {
    const msg: StateMessage = { node: this.options.node, bootId: this.options.bootId, seq: this.seq++, at: this.clock.now(), kind, tasks, removed };
    await this.publish(topics.state(this.options.node), msg);
  }

  private async heartbeat(): Promise<void> {
    const at = this.clock.now();
    const spool = this.sources.spool();
    const hb: Heartbeat = {
      node: this.options.node,
      at,
      bootId: this.options.bootId,
      load: { ...this.sources.load(), tasks: this.sources.tasks().length, spoolRecords: spool.records, spoolBytes: spool.bytes },
      labels: this.options.labels,
      taints: this.options.taints,
      maxTasks: this.options.maxTasks,
      epoch: this.sources.epoch(),
      version: this.options.version,
    };
    if (this.lastLatencyMs !== undefined) hb.linkLatencyMs = this.lastLatencyMs;
    const rules = this.sources.rules?.();
    if (rules) hb.rules = rules;
    const link = this.links;
    if (await this.publish(topics.heartbeat(this.options.node), hb)) {
      if (link === this.links) this.lastLatencyMs = this.clock.now() - at;
    }
  }

  /** QoS 1; resolves true once the broker acked it, false when not connected or it failed. */
  private async publish(topic: string, value: unknown): Promise<boolean> {
    if (!this.bus.connected) return false; // state is re-sent as a snapshot on reconnect; heartbeats are periodic
    try {
      await this.bus.publish(topic, JSON.stringify(value), { qos: 1 });
      return true;
    } catch (err) {
      this.logger.debug('telemetry publish failed', { topic, err });
      return false;
    }
  }
}
