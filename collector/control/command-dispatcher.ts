import type { KeyObject } from 'node:crypto';
import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import { EdgewatchError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import { signCommand, type Ack, type Command, type CommandType } from '../../protocol/commands.js';
import { formatTraceparent, parseTraceparent } from '../../protocol/trace-id.js';
import { topics } from '../../protocol/topics.js';

/** What an operator or the remediation planner asks for. */
export interface CommandRequest {
  node: string;
  type: CommandType;
  task?: string;
  spec?: Record<string, unknown>;
  version?: string;
  /** W3C traceparent of the incident or request this command belongs to; a new trace when absent. */
  traceparent?: string;
  /** Who asked: an API caller's token or user name, or `remediation` with the incident. */
  requestedBy?: string;
}

export type CommandStatus = 'pending' | 'accepted' | 'done' | 'failed' | 'rejected' | 'timeout';

/** A sent command and what became of it. */
export interface CommandRecord {
  id: string;
  node: string;
  type: CommandType;
  task?: string;
  version?: string;
  issuedAt: number;
  expiresAt: number;
  epoch: number;
  traceparent: string;
  status: CommandStatus;
  reason?: string;
  attempts: number;
  acks: Ack[];
  finishedAt?: number;
  requestedBy?: string;
}

/** Dispatcher collaborators. */
export interface DispatcherDeps {
  bus: MessageBus;
  key: { privateKey: KeyObject; keyId: string };
  epoch(node: string): number;
  isOnline(node: string): boolean;
  clock: Clock & Timers;
  newId(): string;
  randomHex(bytes: number): string;
  logger: Logger;
  /** Status changes, for persistence, metrics and the trace log. */
  changed(record: CommandRecord): void;
  /** Told of every command before it is signed: the cloud records what it applies and releases. */
  sending?(req: CommandRequest): void;
  /** Why this collector may not sign commands now (a standby replica, a deposed leader); undefined when it may. */
  fenced?(): string | undefined;
}

export interface DispatcherOptions {
  /** How long a command stays valid (an offline node gets it from its broker session within this). */
  ttlMs: number;
  /** Republish when no `accepted` came back this long after a publish (the node is online). */
  ackTimeoutMs: number;
  maxAttempts: number;
}

const FINAL = new Set<CommandStatus>(['done', 'failed', 'rejected', 'timeout']);

/**
 * Signs commands, publishes them QoS 1 to `edgewatch/<node>/commands`, and follows their acks: republished
 * (same id, so the edge runs it once) while an online node has not accepted it, `timeout` once it expires.
 */
export class CommandDispatcher {
  private readonly records = new Map<string, CommandRecord>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly waiters = new Map<string, Array<(r: CommandRecord) => void>>();
  private readonly signed = new Map<string, Command>();

  constructor(
    private readonly deps: DispatcherDeps,
    private readonly options: DispatcherOptions,
  ) {}

  /** Signs and sends a command; the returned record is updated as acks arrive. */
  send(req: CommandRequest): CommandRecord {
    const fenced = this.deps.fenced?.();
    if (fenced !== undefined) throw new EdgewatchError('EW_NOT_LEADER', `no command sent: ${fenced}`);
    this.deps.sending?.(req);
    const now = this.deps.clock.now();
    // the caller's span (a remediation step, an operator's request) is the edge action's parent
    const parent = parseTraceparent(req.traceparent);
    const traceparent = formatTraceparent(parent ?? { traceId: this.deps.randomHex(16), spanId: this.deps.randomHex(8), sampled: true });
    const unsigned = {
      id: this.deps.newId(),
      type: req.type,
      node: req.node,
      issuedAt: now,
      expiresAt: now + this.options.ttlMs,
      epoch: this.deps.epoch(req.node),
      traceparent,
      ...(req.task !== undefined ? { task: req.task } : {}),
      ...(req.spec !== undefined ? { spec: req.spec } : {}),
      ...(req.version !== undefined ? { version: req.version } : {}),
    };
    const cmd = signCommand(unsigned, this.deps.key);
    const record: CommandRecord = {
      id: cmd.id,
      node: cmd.node,
      type: cmd.type,
      issuedAt: now,
      expiresAt: cmd.expiresAt,
      epoch: cmd.epoch,
      traceparent,
      status: 'pending',
      attempts: 0,
      acks: [],
      ...(req.task !== undefined ? { task: req.task } : {}),
      ...(req.version !== undefined ? { version: req.version } : {}),
      ...(req.requestedBy !== undefined ? { requestedBy: req.requestedBy } : {}),
    };
    this.records.set(cmd.id, record);
    this.signed.set(cmd.id, cmd);
    this.deps.changed(record);
    this.publish(record);
    return record;
  }

  /** Resolves when the command is done, failed, rejected or timed out. */
  whenFinal(id: string): Promise<CommandRecord> {
    const r = this.records.get(id);
    if (!r) return Promise.reject(new Error(`unknown command ${id}`));
    if (FINAL.has(r.status)) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  get(id: string): CommandRecord | undefined {
    return this.records.get(id);
  }

  /** Handles an ack from `edgewatch/<node>/acks`. */
  onAck(ack: Ack): void {
    const r = this.records.get(ack.id);
    if (!r || r.node !== ack.node || FINAL.has(r.status)) return;
    r.acks.push(ack);
    if (ack.status === 'rejected' && ack.reason?.startsWith('replayed')) {
      // a republished copy arrived after the first: what counts is how the first one ended
      if (ack.original === 'done' || ack.original === 'failed') this.finish(r, ack.original, 'finished before the copy arrived');
      else if (r.status === 'pending') this.setStatus(r, 'accepted');
      return;
    }
    if (ack.status === 'accepted') {
      if (r.status === 'pending') this.setStatus(r, 'accepted');
      this.arm(r, r.expiresAt - this.deps.clock.now());
      return;
    }
    // an edge acks accepted before done or failed (it journals first): a result out of that order is not believed
    if (r.status === 'pending' && (ack.status === 'done' || ack.status === 'failed')) {
      r.acks.pop();
      this.deps.logger.warn('command result before its acceptance, ignored', { id: r.id, node: ack.node, status: ack.status });
      return;
    }
    if (ack.version !== undefined) r.version = ack.version;
    this.finish(r, ack.status, ack.reason);
  }

  private publish(r: CommandRecord): void {
    r.attempts++;
    const cmd = this.signed.get(r.id)!;
    this.deps.bus.publish(topics.commands(r.node), JSON.stringify(cmd), { qos: 1 }).catch((err) => this.deps.logger.warn('command publish failed', { id: r.id, err }));
    this.arm(r, Math.min(this.options.ackTimeoutMs, r.expiresAt - this.deps.clock.now()));
  }

  private arm(r: CommandRecord, delayMs: number): void {
    const old = this.timers.get(r.id);
    if (old) this.deps.clock.clearTimeout(old);
    this.timers.set(r.id, this.deps.clock.setTimeout(() => this.onTimer(r), Math.max(0, delayMs)));
  }

  private onTimer(r: CommandRecord): void {
    this.timers.delete(r.id);
    if (FINAL.has(r.status)) return;
    const now = this.deps.clock.now();
    if (now >= r.expiresAt) {
      this.finish(r, 'timeout', r.status === 'accepted' ? 'accepted but no result before it expired' : 'not accepted before it expired (node unreachable?)');
      return;
    }
    // an offline node gets the queued copy from its broker session; republish only to an online one,
    // and never once this collector has lost the lease (the copy would carry its old epoch)
    if (this.deps.fenced?.() === undefined && r.status === 'pending' && r.attempts < this.options.maxAttempts && this.deps.isOnline(r.node)) this.publish(r);
    else this.arm(r, Math.min(this.options.ackTimeoutMs, r.expiresAt - now));
  }

  private setStatus(r: CommandRecord, status: CommandStatus, reason?: string): void {
    r.status = status;
    if (reason !== undefined) r.reason = reason;
    this.deps.changed(r);
  }

  private finish(r: CommandRecord, status: CommandStatus, reason?: string): void {
    const t = this.timers.get(r.id);
    if (t) this.deps.clock.clearTimeout(t);
    this.timers.delete(r.id);
    this.signed.delete(r.id);
    r.finishedAt = this.deps.clock.now();
    this.setStatus(r, status, reason);
    for (const w of this.waiters.get(r.id) ?? []) w(r);
    this.waiters.delete(r.id);
  }

  /** Forgets finished commands older than `maxAgeMs` (the state DB keeps them). */
  prune(now: number, maxAgeMs: number): void {
    for (const [id, r] of this.records) if (FINAL.has(r.status) && (r.finishedAt ?? now) < now - maxAgeMs) this.records.delete(id);
  }
}
