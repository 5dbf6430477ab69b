import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { splitEpoch } from '../cluster/fencing.js';
import { sqliteDatabase, type SqlDatabase, type SqlStatement, type StateHandle } from './sql-database.js';

const DDL = `
CREATE TABLE IF NOT EXISTS node_epochs (
  node TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
  id TEXT PRIMARY KEY,
  node TEXT NOT NULL,
  task TEXT,
  type TEXT NOT NULL,
  issued_ms INTEGER NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS commands_by_issued ON commands (issued_ms);
CREATE TABLE IF NOT EXISTS incidents (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  status TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS incidents_by_fingerprint ON incidents (fingerprint, status);
CREATE INDEX IF NOT EXISTS incidents_by_started ON incidents (started_ms);
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  digest BLOB NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER,
  last_used_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS desired_specs (
  node TEXT NOT NULL,
  task TEXT NOT NULL,
  version TEXT NOT NULL,
  source TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  spec TEXT NOT NULL,
  PRIMARY KEY (node, task)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS node_identities (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  generation INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  who TEXT NOT NULL,
  role TEXT,
  source TEXT,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_time ON audit (at_ms);
CREATE TABLE IF NOT EXISTS edge_rule_sets (version INTEGER PRIMARY KEY, digest TEXT NOT NULL, issued_ms INTEGER NOT NULL);
`;

/**
 * The collector's own state (fencing epochs, commands, incidents, API tokens, the audit log) in a small SQLite file beside the log
 * store, so a collector restart loses none of it. Writes are tiny and rare next to log ingest.
 */
export class StateDb implements StateHandle {
  readonly sqlite: Database.Database;
  readonly db: SqlDatabase;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.sqlite = new Database(path);
    this.sqlite.pragma('journal_mode = WAL');
    this.sqlite.pragma('synchronous = NORMAL');
    this.sqlite.exec(DDL);
    this.db = sqliteDatabase(this.sqlite);
  }

  /** Throws when SQLite's quick_check finds damage (the file is small, so this is quick). */
  verify(): void {
    const result = this.sqlite.pragma('quick_check(1)', { simple: true });
    if (result !== 'ok') throw new Error(`quick_check: ${String(result)}`);
  }

  close(): void {
    if (this.sqlite.open) this.sqlite.close();
  }
}

/**
 * Per-node fencing epochs: a node's commands carry its epoch, and raising it fences older commands. With
 * a leader lease the command's epoch also carries the leader's ({@link commandEpoch}); this store keeps
 * the node's part, which every leader shares through the database.
 */
export class EpochStore {
  private readonly get: SqlStatement<[string], { epoch: number }>;
  private readonly put: SqlStatement<[string, number]>;
  private readonly cache = new Map<string, number>();

  constructor(state: StateHandle) {
    this.get = state.db.prepare('SELECT epoch FROM node_epochs WHERE node = ?');
    this.put = state.db.prepare('INSERT INTO node_epochs (node, epoch) VALUES (?, ?) ON CONFLICT(node) DO UPDATE SET epoch = excluded.epoch');
  }

  epoch(node: string): number {
    let e = this.cache.get(node);
    if (e === undefined) {
      e = this.get.get(node)?.epoch ?? 1;
      this.cache.set(node, e);
    }
    return e;
  }

  /** Raises a node's epoch (after its tasks moved elsewhere while it was unreachable); returns the new one. */
  raise(node: string): number {
    const e = this.epoch(node) + 1;
    this.put.run(node, e);
    this.cache.set(node, e);
    return e;
  }

  /** Adopts the node part of an epoch a node reports if it is higher (the collector's state was lost or restored). */
  observe(node: string, reported: number): void {
    const epoch = splitEpoch(reported).node;
    if (epoch > this.epoch(node)) {
      this.put.run(node, epoch);
      this.cache.set(node, epoch);
    }
  }

  /** Drops what is cached (another replica may have raised epochs while this one was not the leader). */
  forget(): void {
    this.cache.clear();
  }
}
