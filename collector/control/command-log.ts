import type { SqlDatabase, SqlStatement, StateHandle } from '../state/sql-database.js';
import type { CommandRecord } from './command-dispatcher.js';

/** Every command sent and its outcome, in the state DB, so `GET /api/commands/{id}` survives restarts. */
export class CommandLog {
  private readonly upsert: SqlStatement<[string, string, string | null, string, number, string, string]>;
  private readonly byId: SqlStatement<[string], { body: string }>;

  constructor(state: StateHandle) {
    this.upsert = state.db.prepare(
      'INSERT INTO commands (id, node, task, type, issued_ms, status, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status, body = excluded.body',
    );
    this.byId = state.db.prepare('SELECT body FROM commands WHERE id = ?');
  }

  save(r: CommandRecord): void {
    this.upsert.run(r.id, r.node, r.task ?? null, r.type, r.issuedAt, r.status, JSON.stringify(r));
  }

  get(id: string): CommandRecord | undefined {
    const row = this.byId.get(id);
    return row ? (JSON.parse(row.body) as CommandRecord) : undefined;
  }
}
