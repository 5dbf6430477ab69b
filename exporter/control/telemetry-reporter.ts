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
 * Publishes the node's heartbeat (with load and the link's round trip, measured on its own heartbeat
 * coming back through the broker) and task state: deltas with a per-boot sequence number as tasks
 * change, a full snapshot on every (re)connection and on request. A gap in `seq` tells the collector
 * to ask for a snapshot.
 */
export class TelemetryReporter {
  readonly name = 'telemetry';
  private seq = 0;
  private readonly dirty = new Set<string>();
  private readonly removed = new Set<string>();
  private flushTimer: TimerHandle | undefined;
  private stopHeartbeat: (() => void) | undefined;
  private lastLatencyMs: number | undefined;
  /** `at` of the last heartbeats sent, to recognise ours when they come back through the broker. */
  private readonly sent: number[] = [];

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
    const hbTopic = topics.heartbeat(this.options.node);
    await this.bus.subscribe(hbTopic, (_t, payload) => this.echo(payload));
    this.bus.onConnection((up) => {
      if (up) void this.snapshot();
    });
    if (this.bus.connected) await this.snapshot();
    this.stopHeartbeat = every(this.clock, this.options.heartbeatMs, () => this.heartbeat(), errorOnChange(this.logger, 'heartbeat failed'));
    await this.heartbeat();
  }

  stop(): void {
    this.stopHeartbeat?.();
    if (this.flushTimer) this.clock.clearTimeout(this.flushTimer);
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
    this.sent.push(at);
    if (this.sent.length > 10) this.sent.shift();
    await this.publish(topics.heartbeat(this.options.node), hb, 0);
  }

  private echo(payload: Buffer): void {
    try {
      const at = (JSON.parse(payload.toString('utf8')) as { at?: number }).at;
      if (at !== undefined && this.sent.includes(at)) this.lastLatencyMs = this.clock.now() - at;
    } catch {
      // not ours
    }
  }

  private async publish(topic: string, value: unknown, qos: 0 | 1 = 1): Promise<void> {
    if (!this.bus.connected) return; // state is re-sent as a snapshot on reconnect; heartbeats are periodic
    try {
      await this.bus.publish(topic, JSON.stringify(value), { qos });
    } catch (err) {
      this.logger.debug('telemetry publish failed', { topic, err });
    }
  }
}
