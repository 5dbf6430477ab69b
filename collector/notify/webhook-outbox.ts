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
