import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import type { SqlDatabase, SqlStatement, StateHandle } from '../state/sql-database.js';
import type { Role } from './roles.js';

/** A stored API token: never its secret, only a digest of it (Grafana service-account tokens). */
export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  expiresAt?: number;
  lastUsedAt?: number;
}

interface Row {
  id: string;
  name: string;
  role: Role;
  digest: Buffer;
  created_ms: number;
  expires_ms: number | null;
  last_used_ms: number | null;
}

const PREFIX = 'ewt_';
/** `ewt_<16 hex id>_<43 base64url secret>`: the id finds the row, the digest of the whole token is compared. */
const TOKEN = /^ewt_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$/;

const digestOf = (token: string) => createHash('sha256').update(token).digest();

/** Why a token was refused (a metric label and an audit reason). */
export type TokenRefusal = 'malformed' | 'unknown' | 'expired';

/** API tokens in the collector's state DB; `edgewatch token create` and the collector share it. */
export class TokenStore {
  private readonly byId: SqlStatement<[string], Row>;
  private readonly insert: SqlStatement<[string, string, string, Buffer, number, number | null]>;
  private readonly all: SqlStatement<[], Row>;
  private readonly count: SqlStatement<[], { n: number }>;
  private readonly remove: SqlStatement<[string]>;
  private readonly touch: SqlStatement<[number, string]>;
  private readonly touched = new Map<string, number>();

  constructor(
    state: StateHandle,
    private readonly clock: Clock,
  ) {
    const db = state.db;
    this.byId = db.prepare('SELECT * FROM api_tokens WHERE id = ?');
    this.insert = db.prepare('INSERT INTO api_tokens (id, name, role, digest, created_ms, expires_ms) VALUES (?, ?, ?, ?, ?, ?)');
    this.all = db.prepare('SELECT * FROM api_tokens ORDER BY name');
    this.count = db.prepare('SELECT count(*) AS n FROM api_tokens');
    this.remove = db.prepare('DELETE FROM api_tokens WHERE name = ?');
    this.touch = db.prepare('UPDATE api_tokens SET last_used_ms = ? WHERE id = ?');
  }

  /** Creates a token; the returned secret is shown once and never stored. Names are unique. */
  create(name: string, role: Role, expiresInMs?: number): { token: string; record: TokenRecord } {
    if (!NAME.test(name)) throw new Error(`token name ${JSON.stringify(name)}: use 1-63 letters, digits, _ . : - (starting with a letter or digit)`);
    if (this.find(name)) throw new Error(`a token named "${name}" exists; revoke it first (edgewatch token revoke ${name})`);
    const id = randomBytes(8).toString('hex');
    const token = `${PREFIX}${id}_${randomBytes(32).toString('base64url')}`;
    const now = this.clock.now();
    const expiresAt = expiresInMs !== undefined ? now + expiresInMs : undefined;
    this.insert.run(id, name, role, digestOf(token), now, expiresAt ?? null);
    return { token, record: { id, name, role, createdAt: now, ...(expiresAt !== undefined ? { expiresAt } : {}) } };
  }

  /** The token's record, or why it is refused. The digest comparison is constant-time. */
  verify(token: string): TokenRecord | TokenRefusal {
    const m = TOKEN.exec(token);
    if (!m) return 'malformed';
    const row = this.byId.get(m[1]!);
    if (!row || !timingSafeEqual(row.digest, digestOf(token))) return 'unknown';
    const now = this.clock.now();
    if (row.expires_ms !== null && now >= row.expires_ms) return 'expired';
    // last use is kept to the minute: no write per request
    if ((this.touched.get(row.id) ?? -Infinity) < now - 60_000) {
      this.touched.set(row.id, now);
      this.touch.run(now, row.id);
    }
    return recordOf(row);
  }

  find(name: string): TokenRecord | undefined {
    return this.list().find((t) => t.name === name);
  }

  list(): TokenRecord[] {
    return this.all.all().map(recordOf);
  }

  /** Whether any token exists (the API then requires credentials). */
  any(): boolean {
    return (this.count.get()?.n ?? 0) > 0;
  }

  /** Deletes a token by name; false when there is none. */
  revoke(name: string): boolean {
    return this.remove.run(name).changes > 0;
  }
}

function recordOf(row: Row): TokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_ms,
    ...(row.expires_ms !== null ? { expiresAt: row.expires_ms } : {}),
    ...(row.last_used_ms !== null ? { lastUsedAt: row.last_used_ms } : {}),
  };
}
