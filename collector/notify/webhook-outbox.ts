/** One webhook request waiting to be delivered: the exact body, its key, and where its retries stand. */
export interface OutboxDelivery {
  id: number;
  /** The webhook's URL: its identity in the outbox. */
  webhook: string;
  fingerprint: string;
  idempotencyKey: string;
  body: string;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptMs: number;
  createdMs: number;
}

/** A delivery as the outbox tables keep it (SQLite and PostgreSQL alike). */
export interface OutboxRow {
  id: number;
  webhook: string;
  fingerprint: string;
  idempotency_key: string;
  body: string;
  attempts: number;
  next_attempt_ms: number;
  created_ms: number;
}

/** A stored row as a delivery. */
export function deliveryOfRow(r: OutboxRow): OutboxDelivery {
  return {
    id: r.id,
    webhook: r.webhook,
    fingerprint: r.fingerprint,
    idempotencyKey: r.idempotency_key,
    body: r.body,
    attempts: r.attempts,
    nextAttemptMs: r.next_attempt_ms,
    createdMs: r.created_ms,
  };
}

/** A delivery before the outbox has given it an id. */
export type NewDelivery = Omit<OutboxDelivery, 'id' | 'attempts'>;

/**
 * Durable storage of pending deliveries, so a restart resumes them. Every method commits before it
 * returns: once `enqueue` is back, a crash cannot lose the delivery.
 */
export interface WebhookOutbox {
  /** Removes the superseded deliveries and adds the new ones in one transaction; returns the new rows. */
  enqueue(deliveries: NewDelivery[], superseded: readonly number[]): OutboxDelivery[];
  /** Every pending delivery, oldest first. */
  all(): OutboxDelivery[];
  /** Records a failed attempt and when to try again. */
  reschedule(id: number, attempts: number, nextAttemptMs: number): void;
  /** Forgets a delivery (delivered, refused or given up). */
  remove(id: number): void;
  close(): void;
}
