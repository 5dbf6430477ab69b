import type { SyncPg } from '../store/pg/sync-pg.js';
import { deliveryOfRow, type NewDelivery, type OutboxDelivery, type OutboxRow, type WebhookOutbox } from './webhook-outbox.js';


/**
 * {@link WebhookOutbox} in PostgreSQL, shared by the replicas: the leader queues and sends; a replica that
 * takes over resumes what is left. A delivery the old leader sent but had not yet removed is sent again
 * with the same idempotency key (derived from the webhook and the alert state), so a receiver that keys
 * on it acts once.
 */
export class PgWebhookOutbox implements WebhookOutbox {
  constructor(private readonly pg: SyncPg) {}

  enqueue(deliveries: NewDelivery[], superseded: readonly number[]): OutboxDelivery[] {
    return this.pg.transaction(() => {
      if (superseded.length > 0) this.pg.query('DELETE FROM webhook_outbox WHERE id = ANY($1::bigint[])', [superseded]);
      return deliveries.map((d) => {
        const row = this.pg.query<{ id: number }>(
          'INSERT INTO webhook_outbox (webhook, fingerprint, idempotency_key, body, next_attempt_ms, created_ms) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
          [d.webhook, d.fingerprint, d.idempotencyKey, d.body, d.nextAttemptMs, d.createdMs],
        ).rows[0]!;
        return { ...d, id: row.id, attempts: 0 };
      });
    });
  }

  all(): OutboxDelivery[] {
    return this.pg.query<OutboxRow>('SELECT * FROM webhook_outbox ORDER BY id').rows.map(deliveryOfRow);
  }

  reschedule(id: number, attempts: number, nextAttemptMs: number): void {
    this.pg.query('UPDATE webhook_outbox SET attempts = $1, next_attempt_ms = $2 WHERE id = $3', [attempts, nextAttemptMs, id]);
  }

  remove(id: number): void {
    this.pg.query('DELETE FROM webhook_outbox WHERE id = $1', [id]);
  }

  /** The connection belongs to the collector's {@link PgDatabase}; it closes it. */
  close(): void {}
}
