import type { Clock } from '../../common/clock.js';
import type { SqlDatabase, SqlStatement, StateHandle } from '../state/sql-database.js';

/**
 * One audited action (Kubernetes audit events): who (token or user name, `remediation`, or an address for
 * a failed login), with which role, from where, what on which target, and how it ended.
 */
export interface AuditEntry {
  at: number;
  who: string;
  role?: string;
  /** The caller's address (IP), or `cli` / `collector`. */
  source?: string;
  /** `command.restart`, `alertmanager.webhook`, `login.failed`, `token.create`, ... */
  action: string;
  /** `node/task`, a token name, ... */
  target?: string;
  /** `accepted`, `done`, `refused`, `unauthorized`, ... */
  outcome: string;
  detail?: Record<string, unknown>;
}

/** Filters of GET /api/audit. */
export interface AuditQuery {
  sinceMs?: number;
  who?: string;
  action?: string;
  limit: number;
}

/** How many entries the log keeps; older ones are pruned as new ones arrive. */
const KEEP = 200_000;

/** The audit log in the collector's state DB; append-only, bounded, newest first on read. */
export class AuditLog {
  private readonly insert: SqlStatement<[number, string, string | null, string | null, string, string | null, string, string | null]>;
  private readonly prune: SqlStatement<[number]>;
  private readonly db: SqlDatabase;
  private writes = 0;

  constructor(
    state: StateHandle,
    private readonly clock: Clock,
  ) {
    this.db = state.db;
    this.insert = this.db.prepare('INSERT INTO audit (at_ms, who, role, source, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.prune = this.db.prepare('DELETE FROM audit WHERE seq <= (SELECT max(seq) FROM audit) - ?');
  }

  /** Appends an entry stamped now. */
  record(e: Omit<AuditEntry, 'at'>): void {
    this.insert.run(this.clock.now(), e.who, e.role ?? null, e.source ?? null, e.action, e.target ?? null, e.outcome, e.detail ? JSON.stringify(e.detail) : null);
    if (++this.writes % 1000 === 0) this.prune.run(KEEP);
  }

  /** Newest first. */
  list(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (q.sinceMs !== undefined) (where.push('at_ms >= ?'), args.push(q.sinceMs));
    if (q.who !== undefined) (where.push('who = ?'), args.push(q.who));
    if (q.action !== undefined) (where.push('action LIKE ?'), args.push(`${q.action.replace(/[%_]/g, '')}%`));
    const sql = `SELECT * FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, q.limit) as Array<{ at_ms: number; who: string; role: string | null; source: string | null; action: string; target: string | null; outcome: string; detail: string | null }>;
    return rows.map((r) => ({
      at: r.at_ms,
      who: r.who,
      ...(r.role !== null ? { role: r.role } : {}),
      ...(r.source !== null ? { source: r.source } : {}),
      action: r.action,
      ...(r.target !== null ? { target: r.target } : {}),
      outcome: r.outcome,
      ...(r.detail !== null ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}),
    }));
  }
}
