import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { AckStatus, Command } from '../../protocol/commands.js';
import { writeFileAtomic } from '../adapters/atomic-file.js';

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

/**
 * Commands seen by this node and the highest epoch, in `<state>/commands.jsonl` (append + fsync before the
 * PUBACK, so a crash cannot lose or re-run a command). Entries are kept until they expire: an expired
 * command is rejected anyway, so replay protection needs nothing older.
 */
export class CommandJournal {
  private readonly path: string;
  private readonly entries = new Map<string, JournalEntry>();
  private epochValue = 0;
  private lines = 0;
  /** When this node's command journal began (its first start with this state dir), epoch ms. */
  readonly createdAt: number;

  constructor(dir: string, now: () => number = Date.now) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'commands.jsonl');
    this.createdAt = journalBirth(join(dir, 'journal-created'), now);
    let text = '';
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      // first start
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as JournalEntry | { epoch: number };
        if ('epoch' in e) this.epochValue = Math.max(this.epochValue, e.epoch);
        else this.entries.set(e.id, { ...this.entries.get(e.id), ...e });
        this.lines++;
      } catch {
        // a torn last line from a power cut: the command was not acked, so the broker redelivers it
      }
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

  /** Durably records a new or updated entry. */
  record(entry: JournalEntry): void {
    const merged = { ...this.entries.get(entry.id), ...entry };
    if (entry.status !== 'accepted') delete merged.command;
    this.entries.set(entry.id, merged);
    this.append(entry.status === 'accepted' ? merged : { ...entry, command: undefined });
  }

  /** Durably raises the epoch (a fence: commands from older epochs are refused from now on). */
  raiseEpoch(epoch: number): void {
    if (epoch <= this.epochValue) return;
    this.epochValue = epoch;
    this.append({ epoch });
  }

  /** Drops expired entries and rewrites the file when it has grown. */
  compact(now: number): void {
    for (const [id, e] of this.entries) if (e.expiresAt < now && e.status !== 'accepted') this.entries.delete(id);
    if (this.lines < 4 * this.entries.size + 1000) return;
    const body = [JSON.stringify({ epoch: this.epochValue }), ...[...this.entries.values()].map((e) => JSON.stringify(e))].join('\n') + '\n';
    writeFileAtomic(this.path, body);
    this.lines = this.entries.size + 1;
  }

  private append(value: unknown): void {
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, JSON.stringify(value) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.lines++;
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
  writeFileAtomic(file, `${t}\n`);
  return t;
}
