import type { AppendRequest } from '../store/event-store.js';
import type { IngestBatch } from './ingest-batch.js';
import type { Stage } from './stage.js';

/** What the persist stage reports, so the composition root can count it. */
export interface PersistObserver {
  stored(input: string, records: number): void;
  duplicate(): void;
}

/**
 * Writes a batch durably (the forward input acks only after this stage returns) and marks a resent
 * chunk as a duplicate with no events, so stages after it never act on the same records twice.
 */
export function persistStage(append: Appender, observer: PersistObserver): Stage<IngestBatch> {
  const after = (batch: IngestBatch, { duplicate }: { duplicate: boolean }): IngestBatch => {
    if (duplicate) {
      observer.duplicate();
      batch.duplicate = true;
      batch.events = [];
    } else {
      observer.stored(batch.input, batch.events.length);
    }
    return batch;
  };
  return {
    name: 'persist',
    exec(ctx, batch) {
      const r = append({ batch, chunkId: batch.chunk, nowMs: ctx.now });
      return r instanceof Promise ? r.then((x) => after(batch, x)) : after(batch, r);
    },
  };
}

/** Where the persist stage writes: the store directly, or a group commit (which resolves after its transaction). */
export type Appender = (request: AppendRequest) => Promise<{ duplicate: boolean }> | { duplicate: boolean };
