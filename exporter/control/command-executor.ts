import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/logger.js';
import { commandSchema, verifyCommand, type Ack, type AckStatus, type Command, type CommandType, type RejectReason } from '../../protocol/commands.js';
import { parseTaskSpec, resolveTaskCwd, type TaskSpec } from '../config.js';
import { JournalWriteError, type CommandJournal } from './command-journal.js';

/** What commands act on: the supervisor, seen through the operations a command may ask for. */
export interface CommandTarget {
  has(task: string): boolean;
  startTask(task: string): Promise<void>;
  stopTask(task: string): Promise<void>;
  restartTask(task: string): Promise<void>;
  apply(spec: TaskSpec): Promise<void>;
  rollback(task: string, version?: string): Promise<string>;
  release(task: string): Promise<void>;
  currentSpec(task: string): TaskSpec | undefined;
  previousVersion(task: string): string | undefined;
  snapshot(): Promise<void>;
}

/** What the executor reports: acks to publish, and each outcome for metrics and the trace log. */
export interface ExecutorOutputs {
  ack(ack: Ack): void;
  /** `code` is the rejection reason (a bounded set) when status is `rejected`. */
  outcome(cmd: Command | undefined, status: AckStatus, code?: RejectReason, detail?: string): void;
}

/** What a finished command reports in its `done` ack. */
interface Done {
  reason?: string;
  version?: string;
}

export interface ExecutorOptions {
  node: string;
  keys: Map<string, KeyObject>;
  /** Tolerated clock difference for `issuedAt` in the future, ms. */
  clockSkewMs: number;
  /** Folder relative `cwd`s of applied specs resolve against (the config file's). */
  baseDir: string;
  /** Command types this node executes (`commands.allow`). */
  allow: ReadonlySet<CommandType>;
  /** Executables an applied spec may run (`commands.allowExecutables`); undefined = any. */
  allowExecutables?: readonly string[];
}

/** A refusal: the reason label and the message for the ack. */
class Rejection {
  constructor(
    readonly reason: RejectReason,
    readonly message: string,
  ) {}
}

/**
 * The edge side of the signed control channel. `receive` validates a command (schema, signature, node,
 * expiry, replay, epoch) and journals it durably before returning, because the caller's PUBACK follows;
 * execution runs after, acked `accepted` then `done` or `failed`; every refusal is acked `rejected`.
 */
export class CommandExecutor {
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: ExecutorOptions,
    private readonly journal: CommandJournal,
    private readonly target: CommandTarget,
    private readonly clock: Clock,
    private readonly out: ExecutorOutputs,
    private readonly logger: Logger,
  ) {}

  /** Validates and journals one command payload; execution is queued (commands run one at a time, in order). */
  receive(payload: Buffer): void {
    let raw: unknown;
    try {
      raw = JSON.parse(payload.toString('utf8'));
    } catch {
      this.refuse(undefined, new Rejection('malformed', 'command is not JSON'));
      return;
    }
    const parsed = commandSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? ((raw as { id: string }).id as string) : undefined;
      this.refuse(id, new Rejection('malformed', `command does not match the envelope: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`));
      return;
    }
    const cmd = parsed.data;
    const problem = this.check(cmd);
    if (problem) {
      this.refuse(cmd.id, problem, cmd);
      return;
    }
    const entry: Parameters<CommandJournal['record']>[0] = { id: cmd.id, type: cmd.type, expiresAt: cmd.expiresAt, status: 'accepted', command: cmd };
    if (cmd.task !== undefined) entry.task = cmd.task;
    const version = cmd.type === 'rollback' && cmd.version === undefined && cmd.task ? this.target.previousVersion(cmd.task) : cmd.version;
    if (version !== undefined) entry.version = version;
    try {
      this.journal.raiseEpoch(cmd.epoch);
      this.journal.record(entry);
    } catch (err) {
      // not journaled, not run: after a restart it could otherwise run a second time
      if (!(err instanceof JournalWriteError)) throw err;
      this.refuse(cmd.id, new Rejection('journal_unwritable', `${err.message}; the command was not run`), cmd);
      return;
    }
    this.sendAck(cmd, 'accepted');
    this.enqueue(cmd, version);
  }

  /** Finishes commands an earlier run accepted but did not complete (still unexpired), or fails them. */
  resumeUnfinished(): void {
    const now = this.clock.now();
    for (const e of this.journal.unfinished()) {
      if (e.command && e.expiresAt >= now) this.enqueue(e.command, e.version);
      else this.finish(e.command ?? ({ id: e.id, type: e.type, node: this.options.node } as Command), 'failed', { reason: 'the exporter restarted before the command finished, and it has expired' });
    }
  }

  /** Resolves when every queued command has finished. */
  idle(): Promise<void> {
    return this.running;
  }

  private check(cmd: Command): Rejection | undefined {
    const sig = verifyCommand(cmd, this.options.keys);
    if (sig === 'unknown_key') return new Rejection('unknown_key', `no trusted public key with id ${cmd.keyId} (commands.publicKeyFile)`);
    if (sig === 'bad_signature') return new Rejection('bad_signature', 'the signature does not verify');
    if (cmd.node !== this.options.node) return new Rejection('wrong_node', `command is for node ${cmd.node}, this is ${this.options.node}`);
    const now = this.clock.now();
    if (cmd.expiresAt < now) return new Rejection('expired', `expired ${Math.round((now - cmd.expiresAt) / 1000)} s ago`);
    if (cmd.issuedAt > now + this.options.clockSkewMs) return new Rejection('not_yet_valid', 'issued in the future (check the clocks)');
    const seen = this.journal.get(cmd.id);
    if (seen) return new Rejection('replayed', `command ${cmd.id} was received before (${seen.status})`);
    // a reset state dir forgets which ids ran: nothing issued before this node's state began may run
    if (cmd.issuedAt < this.journal.createdAt) return new Rejection('before_journal', `issued before this node's command journal was created (${new Date(this.journal.createdAt).toISOString()})`);
    if (cmd.epoch < this.journal.epoch) return new Rejection('stale_epoch', `epoch ${cmd.epoch} is older than ${this.journal.epoch}`);
    if (cmd.type !== 'snapshot' && cmd.type !== 'apply' && !cmd.task) return new Rejection('malformed', `${cmd.type} needs a task`);
    if (!this.options.allow.has(cmd.type)) return new Rejection('not_allowed', `${cmd.type} is not in this node's commands.allow (${[...this.options.allow].join(', ')})`);
    const exe = (cmd.spec as { command?: unknown } | undefined)?.command;
    const allowedExe = this.options.allowExecutables;
    if (cmd.type === 'apply' && allowedExe && !(Array.isArray(exe) && allowedExe.includes(String(exe[0])))) {
      return new Rejection('not_allowed', `apply may run only ${allowedExe.join(', ')} (commands.allowExecutables), not ${JSON.stringify(Array.isArray(exe) ? exe[0] : exe)}`);
    }
    return undefined;
  }

  private enqueue(cmd: Command, version: string | undefined): void {
    this.running = this.running.then(async () => {
      try {
        this.finish(cmd, 'done', await this.execute(cmd, version));
      } catch (err) {
        if (err instanceof Rejection) {
          this.remember({ id: cmd.id, type: cmd.type, expiresAt: cmd.expiresAt, status: 'rejected', reason: err.message });
          this.refuse(cmd.id, err, cmd);
        } else {
          this.finish(cmd, 'failed', { reason: err instanceof Error ? err.message : String(err) });
        }
      }
    });
  }

  /** Runs one command; returns what the `done` ack says. Throws a Rejection for requests that cannot apply here. */
  private async execute(cmd: Command, version: string | undefined): Promise<Done> {
    const task = cmd.task;
    const needTask = () => {
      if (!task || !this.target.has(task)) throw new Rejection('unknown_task', `no task named "${task}" on node ${this.options.node}`);
      return task;
    };
    switch (cmd.type) {
      case 'restart':
        await this.target.restartTask(needTask());
        return {};
      case 'stop':
        await this.target.stopTask(needTask());
        return {};
      case 'start':
        await this.target.startTask(needTask());
        return {};
      case 'rollback': {
        const to = await this.target.rollback(needTask(), version).catch((err: Error) => {
          throw new Rejection('no_version', err.message);
        });
        return { reason: `running version ${to}`, version: to };
      }
      case 'apply': {
        const parsed = parseTaskSpec(cmd.spec ?? {});
        if (!parsed.ok) throw new Rejection('invalid_spec', parsed.error);
        const spec = resolveTaskCwd(parsed.spec, this.options.baseDir);
        if (task && spec.name !== task) throw new Rejection('invalid_spec', `spec.name "${spec.name}" does not match task "${task}"`);
        const current = this.target.currentSpec(spec.name);
        if (current && JSON.stringify(current) === JSON.stringify(spec)) return { reason: `version ${spec.version} already running`, version: spec.version };
        await this.target.apply(spec);
        return { reason: `running version ${spec.version}`, version: spec.version };
      }
      case 'release':
        if (!task || !this.target.has(task)) return { reason: 'not running here' };
        await this.target.release(task);
        return {};
      case 'snapshot':
        await this.target.snapshot();
        return {};
    }
  }

  private finish(cmd: Command, status: 'done' | 'failed', done: Done = {}): void {
    const entry: Parameters<CommandJournal['record']>[0] = { id: cmd.id, type: cmd.type, expiresAt: cmd.expiresAt ?? 0, status };
    if (done.reason !== undefined) entry.reason = done.reason;
    this.remember(entry);
    this.sendAck(cmd, status, done);
  }

  /** Journals how a command ended; the command has run, so a journal that cannot write only loses the record. */
  private remember(entry: Parameters<CommandJournal['record']>[0]): void {
    try {
      this.journal.record(entry);
    } catch (err) {
      if (!(err instanceof JournalWriteError)) throw err;
      this.logger.warn('command outcome not journaled', { id: entry.id, status: entry.status, err: err.message });
    }
  }

  private refuse(id: string | undefined, r: Rejection, cmd?: Command): void {
    this.logger.warn('command rejected', { id, reason: r.reason, detail: r.message });
    this.out.outcome(cmd, 'rejected', r.reason, r.message);
    if (id === undefined) return;
    const ack: Ack = { id, node: this.options.node, status: 'rejected', reason: `${r.reason}: ${r.message}`, at: this.clock.now() };
    if (cmd?.task !== undefined) ack.task = cmd.task;
    const original = r.reason === 'replayed' ? this.journal.get(id)?.status : undefined;
    if (original) ack.original = original;
    this.out.ack(ack);
  }

  private sendAck(cmd: Command, status: 'accepted' | 'done' | 'failed', done: Done = {}): void {
    const ack: Ack = { id: cmd.id, node: this.options.node, status, at: this.clock.now() };
    if (cmd.task !== undefined) ack.task = cmd.task;
    if (done.reason !== undefined) ack.reason = done.reason;
    if (done.version !== undefined) ack.version = done.version;
    this.out.outcome(cmd, status, undefined, done.reason);
    this.logger.info(`command ${status}`, { id: cmd.id, type: cmd.type, task: cmd.task, reason: done.reason });
    this.out.ack(ack);
  }
}
