import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { EdgewatchError, errorMessage } from '../../common/errors.js';
import type { AckStatus, Command } from '../../protocol/commands.js';
import { writeFileAtomic } from '../adapters/atomic-file.js';
import { readJsonLines } from '../adapters/json-lines.js';
import { reasonOf, type ProblemReporter } from '../health/conditions.js';

/** What the journal remembers of one command. */
export interface JournalEntry {
  id: string;
  type: Command['type'];
  task?: string;
  /** For `rollback` without a version: the version resolved when it was accepted, so a re-run is the same. */
  version?: string;
  expiresAt: number;
  status: AckStatus;
  reason?: string;
  /** The whole command while it is not finished, so an exporter restart can finish it. */
  command?: Command;
}

/** The journal could not write: the command must not run (it could run twice after a restart). */
export class JournalWriteError extends EdgewatchError {
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super('EW_STATE_WRITE', `cannot write ${path} (${errorMessage(cause)}): make state.dir writable`, { cause });
    this.name = 'JournalWriteError';
  }
}

/**
 * Commands seen by this node and the highest epoch, in `<state>/commands.jsonl` (append + fsync before the
 * PUBACK, so a crash cannot lose or re-run a command). Entries are kept until they expire: an expired
 * command is rejected anyway, so replay protection needs nothing older. A write that fails throws
 * {@link JournalWriteError} and is reported; supervision goes on without commands until it works again.
 */
export class CommandJournal {
  private readonly path: string;
  private readonly entries = new Map<string, JournalEntry>();
  private epochValue = 0;
  private lines = 0;
  private failing = false;
  /** When this node's command journal began (its first start with this state dir), epoch ms. */
  readonly createdAt: number;
  private readonly report: ProblemReporter;

  constructor(dir: string, options: { now?: () => number; report?: ProblemReporter } = {}) {
    this.report = options.report ?? (() => undefined);
    try {
      mkdirSync(dir, { recursive: true });
    } catch {
      // reported by the first write that fails
    }
    this.path = join(dir, 'commands.jsonl');
    this.createdAt = journalBirth(join(dir, 'journal-created'), options.now ?? Date.now);
    // a torn last line from a power cut is skipped: its command was not acked, so the broker redelivers it
    for (const v of readJsonLines(this.path).values) {
      const e = v as JournalEntry | { epoch: number };
      if ('epoch' in e) this.epochValue = Math.max(this.epochValue, e.epoch);
      else this.entries.set(e.id, { ...this.entries.get(e.id), ...e });
      this.lines++;
    }
  }

  get epoch(): number {
    return this.epochValue;
  }

  get(id: string): JournalEntry | undefined {
    return this.entries.get(id);
  }

  /** Commands accepted but never finished (the exporter stopped while running them). */
  unfinished(): JournalEntry[] {
    return [...this.entries.values()].filter((e) => e.status === 'accepted');
  }

  /** Durably records a new or updated entry; throws {@link JournalWriteError} (and remembers nothing) when it cannot. */
  record(entry: JournalEntry): void {
    const merged = { ...this.entries.get(entry.id), ...entry };
    if (entry.status !== 'accepted') delete merged.command;
    this.append(entry.status === 'accepted' ? merged : { ...entry, command: undefined });
    this.entries.set(entry.id, merged);
  }

  /** Durably raises the epoch (a fence: commands from older epochs are refused from now on). */
  raiseEpoch(epoch: number): void {
    if (epoch <= this.epochValue) return;
    this.append({ epoch });
    this.epochValue = epoch;
  }

  /** Drops expired entries and rewrites the file when it has grown (a failed rewrite keeps the old file). */
  compact(now: number): void {
    for (const [id, e] of this.entries) if (e.expiresAt < now && e.status !== 'accepted') this.entries.delete(id);
    if (this.lines < 4 * this.entries.size + 1000) return;
    const body = [JSON.stringify({ epoch: this.epochValue }), ...[...this.entries.values()].map((e) => JSON.stringify(e))].join('\n') + '\n';
    try {
      writeFileAtomic(this.path, body);
      this.lines = this.entries.size + 1;
    } catch (err) {
      this.failed(err);
    }
  }

  /** While writes fail: whether the file can be opened for appending again (called periodically). */
  probe(): void {
    if (!this.failing) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      closeSync(openSync(this.path, 'a'));
      this.failing = false;
      this.report(undefined);
    } catch {
      // still failing: the report stands
    }
  }

  private append(value: unknown): void {
    try {
      const fd = openSync(this.path, 'a');
      try {
        writeSync(fd, JSON.stringify(value) + '\n');
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      throw this.failed(err);
    }
    this.lines++;
    this.failing = false;
    this.report(undefined);
  }

  private failed(err: unknown): JournalWriteError {
    const e = new JournalWriteError(this.path, err);
    this.failing = true;
    this.report({ code: 'EW_STATE_WRITE', reason: reasonOf(err), message: `${e.message}; commands are refused (journal_unwritable) until it works, tasks stay supervised` });
    return e;
  }
}

/** The journal's creation time, kept in `file` (written once, atomically, on first start). */
function journalBirth(file: string, now: () => number): number {
  try {
    const t = Number(readFileSync(file, 'utf8').trim());
    if (Number.isFinite(t) && t > 0) return t;
  } catch {
    // first start with this state dir
  }
  const t = now();
  try {
    writeFileAtomic(file, `${t}\n`);
  } catch {
    // an unwritable state dir: the journal reports it on its first write, and this start counts as its birth
  }
  return t;
}
