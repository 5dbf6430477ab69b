import type { Heartbeat, StateMessage, TaskStatusWire } from '../../protocol/telemetry.js';
import type { HeartbeatSignal, RestartSignal, Signal, TaskSignal } from '../../common/rules/signals.js';

/** What the collector knows of one edge node. */
export interface NodeState {
  node: string;
  /** `online`: connected and heartbeating; `offline`: Last Will seen or lease expired; `unknown`: never heard from on the control channel. */
  status: 'online' | 'offline' | 'unknown';
  statusSinceMs: number;
  lastHeartbeatMs?: number;
  bootId?: string;
  seq?: number;
  load?: Heartbeat['load'];
  linkLatencyMs?: number;
  labels: Record<string, string>;
  taints: Heartbeat['taints'];
  maxTasks: number;
  /** EWMA forecasts of CPU and memory utilisation (0..1), for placement. */
  cpuForecast?: number;
  memoryForecast?: number;
  epoch?: number;
  tasks: Map<string, TaskStatusWire>;
  /** Last time a log record of this node arrived over the forward input (a separate path from MQTT). */
  lastLogMs?: number;
  /** What the last reconnection looked like: same exporter boot (a link outage) or a new one (a restart). */
  lastReturn?: 'link_outage' | 'exporter_restart';
  offlineCause?: 'last_will' | 'lease_expired' | 'clean_shutdown';
  /** The edge rule set the node runs, from its heartbeat (absent: edge rules off or an older exporter). */
  ruleSet?: NonNullable<Heartbeat['rules']>;
  /** Edge clock minus this clock, ms, measured on the node's last incident report (positive: edge ahead). */
  clockOffsetMs?: number;
}

/** How far ahead of the last one a state message's sequence may be and still be taken. */
export const SEQ_WINDOW = 1000;

/** EWMA weight of each heartbeat in the load forecasts (about the last 10 heartbeats). */
const FORECAST_ALPHA = 0.2;

/** What handling a state message produced: signals for the rules, and whether a snapshot is needed. */
export interface StateResult {
  signals: Signal[];
  needSnapshot: boolean;
  /** Whether the message was taken (not old, repeated or too far ahead). */
  applied: boolean;
}

/**
 * Node liveness from the control channel: retained status (with the Last Will), heartbeats (a lease), and
 * the task state stream (deltas with a per-boot sequence; a gap or a new boot without a snapshot asks for
 * one). Pure: time comes in with every call.
 */
export class NodeRegistry {
  private readonly nodes = new Map<string, NodeState>();

  constructor(private readonly leaseMs: number) {}

  private entry(node: string, now: number): NodeState {
    let n = this.nodes.get(node);
    if (!n) {
      n = { node, status: 'unknown', statusSinceMs: now, labels: {}, taints: [], maxTasks: 0, tasks: new Map() };
      this.nodes.set(node, n);
    }
    return n;
  }

  private setStatus(n: NodeState, status: NodeState['status'], now: number): boolean {
    if (n.status === status) return false;
    n.status = status;
    n.statusSinceMs = now;
    return true;
  }

  /** The retained `status` topic: `online` (birth) or `offline` (Last Will, or a clean stop). */
  status(node: string, value: string, now: number): void {
    const n = this.entry(node, now);
    if (value === 'offline') {
      if (this.setStatus(n, 'offline', now)) n.offlineCause = 'last_will';
    } else if (value === 'online' && n.lastHeartbeatMs !== undefined && now - n.lastHeartbeatMs < this.leaseMs) {
      this.setStatus(n, 'online', now);
    }
  }

  heartbeat(hb: Heartbeat, now: number): HeartbeatSignal {
    const n = this.entry(hb.node, now);
    if (n.status !== 'online') {
      if (n.bootId !== undefined) n.lastReturn = n.bootId === hb.bootId ? 'link_outage' : 'exporter_restart';
      this.setStatus(n, 'online', now);
      delete n.offlineCause;
    }
    n.lastHeartbeatMs = now;
    n.load = hb.load;
    n.labels = hb.labels;
    n.taints = hb.taints;
    n.maxTasks = hb.maxTasks;
    const mem = hb.load.memoryTotalBytes > 0 ? hb.load.memoryBytes / hb.load.memoryTotalBytes : 0;
    n.cpuForecast = n.cpuForecast === undefined ? hb.load.cpu : FORECAST_ALPHA * hb.load.cpu + (1 - FORECAST_ALPHA) * n.cpuForecast;
    n.memoryForecast = n.memoryForecast === undefined ? mem : FORECAST_ALPHA * mem + (1 - FORECAST_ALPHA) * n.memoryForecast;
    n.epoch = hb.epoch;
    if (hb.linkLatencyMs !== undefined) n.linkLatencyMs = hb.linkLatencyMs;
    if (hb.rules) n.ruleSet = hb.rules;
    else delete n.ruleSet;
    return { kind: 'heartbeat', at: now, node: hb.node, load: hb.load };
  }

  state(msg: StateMessage, now: number): StateResult {
    const n = this.entry(msg.node, now);
    const signals: Signal[] = [];
    const newBoot = n.bootId !== msg.bootId;
    if (!newBoot && n.seq !== undefined && msg.seq <= n.seq) return { signals, needSnapshot: false, applied: false }; // old or repeated
    // a jump far ahead is not adopted (it would make every real message after it look old): ask for a snapshot
    if (!newBoot && n.seq !== undefined && msg.seq > n.seq + SEQ_WINDOW) return { signals, needSnapshot: true, applied: false };
    const gap = msg.kind === 'delta' && (newBoot || (n.seq !== undefined && msg.seq !== n.seq + 1));
    if (msg.kind === 'snapshot') {
      const before = n.tasks;
      n.tasks = new Map();
      for (const t of msg.tasks) this.applyTask(n, t, newBoot ? undefined : before.get(t.name), now, signals);
    } else {
      for (const t of msg.tasks) this.applyTask(n, t, newBoot ? undefined : n.tasks.get(t.name), now, signals);
      for (const name of msg.removed) n.tasks.delete(name);
    }
    n.bootId = msg.bootId;
    n.seq = msg.seq;
    return { signals, needSnapshot: gap, applied: true };
  }

  private applyTask(n: NodeState, t: TaskStatusWire, before: TaskStatusWire | undefined, now: number, out: Signal[]): void {
    n.tasks.set(t.name, t);
    const task: TaskSignal = { kind: 'task', at: now, node: n.node, task: t.name, state: t.state, version: t.version, restarts: t.restarts };
    out.push(task);
    const restarts = before ? t.restarts - before.restarts : 0;
    for (let i = 0; i < restarts; i++) {
      const r: RestartSignal = { kind: 'restart', at: now, node: n.node, task: t.name, reason: t.lastRestartReason ?? 'Error' };
      out.push(r);
    }
  }

  /** A log record of the node arrived over the forward input. */
  logSeen(node: string, now: number): void {
    const n = this.nodes.get(node);
    if (n) n.lastLogMs = now;
  }

  /** Expires leases; returns the nodes that just went offline. */
  tick(now: number): string[] {
    const expired: string[] = [];
    for (const n of this.nodes.values()) {
      if (n.status === 'online' && n.lastHeartbeatMs !== undefined && now - n.lastHeartbeatMs >= this.leaseMs) {
        this.setStatus(n, 'offline', now);
        n.offlineCause = 'lease_expired';
        expired.push(n.node);
      }
    }
    return expired;
  }

  get(node: string): NodeState | undefined {
    return this.nodes.get(node);
  }

  /** Every node, in no particular order (cheap: no copy, no sort). */
  all(): Iterable<NodeState> {
    return this.nodes.values();
  }

  list(): NodeState[] {
    return [...this.nodes.values()].sort((a, b) => a.node.localeCompare(b.node));
  }

  /**
   * A one-line reading of an offline node: when its logs still arrive over the forward input the node is
   * alive and only the control link is down; otherwise the node or its whole uplink is gone.
   */
  diagnosis(n: NodeState): string {
    if (n.status === 'online') return n.lastReturn === 'exporter_restart' ? 'online (the exporter restarted since it was last seen)' : 'online';
    if (n.status === 'unknown') return 'no heartbeat yet';
    if (n.lastLogMs !== undefined && n.lastLogMs > n.statusSinceMs) return 'control link down, node alive (its logs still arrive)';
    return n.offlineCause === 'lease_expired' ? 'unreachable: heartbeats stopped (node down or network partition)' : 'unreachable: the broker reported the connection lost';
  }
}
