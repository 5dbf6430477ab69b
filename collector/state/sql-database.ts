import type Database from 'better-sqlite3';
import type { SyncPg } from '../store/pg/sync-pg.js';

/** What a write changed. */
export interface SqlRunResult {
  changes: number;
}

/** A prepared statement with `?` parameters, as better-sqlite3 has it. */
export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): SqlRunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

/**
 * The part of a SQL database the collector's state classes use (incidents, commands, tokens, desired
 * specs, node identities, audit): prepared statements and transactions, synchronous as better-sqlite3 is.
 * SQLite implements it directly; PostgreSQL through {@link SyncPg}. The statements are written in the
 * SQL both understand (`ON CONFLICT ... DO UPDATE`, row values, `RETURNING`).
 */
export interface SqlDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R>;
  /** Wraps `fn` so each call runs in one transaction. */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
}

/** Where the state classes find their database. */
export interface StateHandle {
  readonly db: SqlDatabase;
}

/** better-sqlite3 as a {@link SqlDatabase}. */
export function sqliteDatabase(db: Database.Database): SqlDatabase {
  return {
    dialect: 'sqlite',
    prepare: <P extends unknown[], R>(sql: string) => db.prepare(sql) as unknown as SqlStatement<P, R>,
    transaction: <A extends unknown[], T>(fn: (...args: A) => T) => db.transaction(fn) as unknown as (...args: A) => T,
  };
}

/** `?` placeholders (outside quotes) as PostgreSQL's `$1, $2, ...`. */
export function numberedParams(sql: string): string {
  let n = 0;
  let quote: string | undefined;
  let out = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** PostgreSQL (through a {@link SyncPg} connection) as a {@link SqlDatabase}. */
export function postgresDatabase(pg: SyncPg): SqlDatabase {
  return {
    dialect: 'postgres',
    prepare<P extends unknown[], R>(sql: string): SqlStatement<P, R> {
      const text = numberedParams(sql);
      return {
        run: (...params: P) => ({ changes: pg.query(text, params).rowCount }),
        get: (...params: P) => pg.query(text, params).rows[0] as R | undefined,
        all: (...params: P) => pg.query(text, params).rows as R[],
      };
    },
    transaction: <A extends unknown[], T>(fn: (...args: A) => T) => (...args: A) => pg.transaction(() => fn(...args)),
  };
}
