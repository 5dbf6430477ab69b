import type { z } from 'zod';
import type { Clock, Timers } from '../../common/clock.js';
import { EdgewatchError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import type { Signal } from '../../common/rules/signals.js';
import { ackSchema } from '../../protocol/commands.js';
import { heartbeatSchema, stateMessageSchema, type Heartbeat, type StateMessage } from '../../protocol/telemetry.js';
import { fleetTopics, parseTopic } from '../../protocol/topics.js';
import type { EpochStore } from '../state/state-db.js';
import type { CommandDispatcher } from './command-dispatcher.js';
import type { ControlPlaneMetrics } from './control-metrics.js';
import type { NodeRegistry } from './node-registry.js';

/** What the control plane reads and feeds: the bus, the node registry, commands, and the rule engine. */
export interface ControlPlaneDeps {
  bus: MessageBus;
  nodes: NodeRegistry;
  dispatcher: CommandDispatcher;
  epochs: EpochStore;
  metrics: ControlPlaneMetrics;
  clock: Clock & Timers;
  logger: Logger;
  /** Heartbeats, task states and restarts, for the rule engine. */
  onSignals(signals: Signal[], now: number): void;
  /** Findings about what a node reported (a spec that is not the recorded one), as signals. */
  inspect?(node: string, tasks: StateMessage['tasks'], now: number): Signal[];
  /** A node's report of incidents it handled itself; false when invalid. */
  edgeIncidents?(node: string, payload: Buffer, now: number): boolean;
  /** A node's heartbeat named the edge rule set it runs (the collector sends it the current one if older). */
  ruleSetReported?(node: string, reported: Heartbeat['rules'], now: number): void;
}

/** A node is asked for a snapshot at most this often (a gap in its state stream). */
const SNAPSHOT_ASK_MS = 10_000;

/** How long finished commands stay in memory (the command log keeps them). */
const COMMAND_MEMORY_MS = 3_600_000;

function parse<S extends z.ZodType>(schema: S, payload: Buffer): z.output<S> | undefined {
  try {
    const r = schema.safeParse(JSON.parse(payload.toString('utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The collector end of the control channel: node liveness from status, heartbeats and the state stream
 * (into the node registry, and as signals for the rules), acks into the command dispatcher. Transport-free:
 * it sees a {@link MessageBus}, so tests run it on the in-memory broker.
 */
export class ControlPlane {
  readonly name = 'control';
  private readonly lastSnapshotAsk = new Map<string, number>();

  constructor(private readonly deps: ControlPlaneDeps) {}

  /** Subscribes to every node's topics; call before the bus connects, so no queued message finds no handler. */
  async start(): Promise<void> {
    for (const filter of Object.values(fleetTopics)) await this.deps.bus.subscribe(filter, (topic, payload) => this.handle(topic, payload));
  }

  stop(): void {}

  /** Leases and command bookkeeping; the composition root calls it about once a second. */
  tick(now: number): void {
    this.deps.nodes.tick(now);
    this.deps.dispatcher.prune(now, COMMAND_MEMORY_MS);
  }

  /** One message from `edgewatch/<node>/...`; invalid ones are counted and logged, never thrown. */
  handle(topic: string, payload: Buffer): void {
    const t = parseTopic(topic);
    if (!t || t.kind === 'commands' || t.kind === 'rules') return;
    const { nodes, epochs, dispatcher } = this.deps;
    const now = this.deps.clock.now();
    const reject = () => {
      this.deps.metrics.rejectedMessage(t.kind);
      this.deps.logger.warn('invalid control message', { topic, bytes: payload.length });
    };
    if (t.kind === 'status') {
      nodes.status(t.node, payload.toString('utf8'), now);
      return;
    }
    if (t.kind === 'heartbeat') {
      const hb = parse(heartbeatSchema, payload);
      if (!hb || hb.node !== t.node) return reject();
      epochs.observe(hb.node, hb.epoch);
      this.deps.onSignals([nodes.heartbeat(hb, now)], now);
      this.deps.ruleSetReported?.(hb.node, hb.rules, now);
      return;
    }
    if (t.kind === 'incidents') {
      if (!this.deps.edgeIncidents?.(t.node, payload, now)) reject();
      return;
    }
    if (t.kind === 'state') {
      const msg = parse(stateMessageSchema, payload);
      if (!msg || msg.node !== t.node) return reject();
      const r = nodes.state(msg, now);
      if (r.needSnapshot) this.askSnapshot(msg.node, now);
      const findings = r.applied && this.deps.inspect ? this.deps.inspect(msg.node, msg.tasks, now) : [];
      const signals = findings.length > 0 ? [...r.signals, ...findings] : r.signals;
      if (signals.length > 0) this.deps.onSignals(signals, now);
      return;
    }
    const ack = parse(ackSchema, payload);
    if (!ack || ack.node !== t.node) return reject();
    dispatcher.onAck(ack);
  }

  private askSnapshot(node: string, now: number): void {
    if ((this.lastSnapshotAsk.get(node) ?? -Infinity) > now - SNAPSHOT_ASK_MS) return;
    this.lastSnapshotAsk.set(node, now);
    try {
      this.deps.dispatcher.send({ node, type: 'snapshot' });
    } catch (err) {
      // a standby replica does not sign commands: the leader asks
      if (!(err instanceof EdgewatchError && err.code === 'EW_NOT_LEADER')) throw err;
    }
  }
}
