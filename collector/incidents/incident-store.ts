import type { SqlDatabase, SqlStatement, StateHandle } from '../state/sql-database.js';
import type { Incident, IncidentStatus } from './incident.js';

/** Incidents in the collector's state DB: written on every change, so a restart loses none. */
export class IncidentStore {
  private readonly upsert: SqlStatement<[string, string, string, number, number, string]>;
  private readonly byId: SqlStatement<[string], { body: string }>;
  private readonly open: SqlStatement<[], { body: string }>;
  private readonly recent: SqlStatement<[number], { body: string }>;
  private readonly recentByStatus: SqlStatement<[string, number], { body: string }>;
  private readonly resolvedPage: SqlStatement<[number, number], { body: string }>;
  private readonly byStatus: SqlStatement<[], { status: IncidentStatus; n: number }>;

  constructor(state: StateHandle) {
    const db = state.db;
    this.upsert = db.prepare(
      'INSERT INTO incidents (id, fingerprint, status, started_ms, updated_ms, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, updated_ms = excluded.updated_ms, body = excluded.body',
    );
    this.byId = db.prepare('SELECT body FROM incidents WHERE id = ?');
    this.open = db.prepare("SELECT body FROM incidents WHERE status IN ('firing', 'remediating', 'escalated') ORDER BY started_ms");
    this.recent = db.prepare('SELECT body FROM incidents ORDER BY started_ms DESC LIMIT ?');
    this.recentByStatus = db.prepare('SELECT body FROM incidents WHERE status = ? ORDER BY started_ms DESC LIMIT ?');
    this.resolvedPage = db.prepare("SELECT body FROM incidents WHERE status = 'resolved' ORDER BY started_ms DESC LIMIT ? OFFSET ?");
    this.byStatus = db.prepare('SELECT status, count(*) AS n FROM incidents GROUP BY status');
  }

  save(i: Incident): void {
    this.upsert.run(i.id, i.fingerprint, i.status, i.startedAt, i.updatedAt, JSON.stringify(i));
  }

  get(id: string): Incident | undefined {
    const row = this.byId.get(id);
    return row ? (JSON.parse(row.body) as Incident) : undefined;
  }

  /** Unresolved incidents, oldest first (what a restarted collector resumes). */
  loadOpen(): Incident[] {
    return this.open.all().map((r) => JSON.parse(r.body) as Incident);
  }

  /** The newest incidents, optionally of one status. */
  list(limit: number, status?: IncidentStatus): Incident[] {
    const rows = status ? this.recentByStatus.all(status, limit) : this.recent.all(limit);
    return rows.map((r) => JSON.parse(r.body) as Incident);
  }

  /** Resolved incidents, newest first, one page at a time (the console's list after the open ones). */
  resolved(limit: number, offset: number): Incident[] {
    return this.resolvedPage.all(limit, offset).map((r) => JSON.parse(r.body) as Incident);
  }

  /** How many incidents are kept, by status. */
  counts(): Record<IncidentStatus, number> {
    const counts: Record<IncidentStatus, number> = { firing: 0, remediating: 0, resolved: 0, escalated: 0 };
    for (const r of this.byStatus.all()) counts[r.status] = r.n;
    return counts;
  }
}
