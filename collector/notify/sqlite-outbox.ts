import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { deliveryOfRow, type NewDelivery, type OutboxDelivery, type OutboxRow, type WebhookOutbox } from './webhook-outbox.js';

const DDL = `
CREATE TABLE IF NOT EXISTS webhook_outbox (
  id INTEGER PRIMARY KEY,
  webhook TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
);
`;


/** The outbox file beside the correlation store when `notify.outboxPath` is not set (`:memory:` stays in memory). */
export function outboxPathFor(storePath: string): string {
  return storePath === ':memory:' ? ':memory:' : join(dirname(storePath), 'notify-outbox.db');
}

/** {@link WebhookOutbox} in its own SQLite file (WAL): small, rarely written, and never in the way of log ingest. */
export class SqliteWebhookOutbox implements WebhookOutbox {
  private readonly db: Database.Database;
  private readonly sql;
  private readonly enqueueTx: (deliveries: NewDelivery[], superseded: readonly number[]) => OutboxDelivery[];

  /** `synchronous` "normal" survives a process crash, "full" also a power cut (as `store.synchronous`). */
  constructor(path: string, synchronous: 'normal' | 'full' = 'normal') {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(DDL);
    const db = this.db;
    this.sql = {
      insert: db.prepare<[string, string, string, string, number, number], { id: number }>(
        'INSERT INTO webhook_outbox (webhook, fingerprint, idempotency_key, body, next_attempt_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?) RETURNING id',
      ),
      remove: db.prepare<[number]>('DELETE FROM webhook_outbox WHERE id = ?'),
      reschedule: db.prepare<[number, number, number]>('UPDATE webhook_outbox SET attempts = ?, next_attempt_ms = ? WHERE id = ?'),
      all: db.prepare<[], OutboxRow>('SELECT * FROM webhook_outbox ORDER BY id'),
    };
    this.enqueueTx = db.transaction((deliveries: NewDelivery[], superseded: readonly number[]) => {
      for (const id of superseded) this.sql.remove.run(id);
      return deliveries.map((d) => {
        const { id } = this.sql.insert.get(d.webhook, d.fingerprint, d.idempotencyKey, d.body, d.nextAttemptMs, d.createdMs)!;
        return { ...d, id, attempts: 0 };
      });
    });
  }

  enqueue(deliveries: NewDelivery[], superseded: readonly number[]): OutboxDelivery[] {
    return this.enqueueTx(deliveries, superseded);
  }

  all(): OutboxDelivery[] {
    return this.sql.all.all().map(deliveryOfRow);
  }

  reschedule(id: number, attempts: number, nextAttemptMs: number): void {
    this.sql.reschedule.run(attempts, nextAttemptMs, id);
  }

  remove(id: number): void {
    this.sql.remove.run(id);
  }

  /** Throws when SQLite's quick_check finds damage (the file is small, so this is quick). */
  verify(): void {
    const result = this.db.pragma('quick_check(1)', { simple: true });
    if (result !== 'ok') throw new Error(`quick_check: ${String(result)}`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
