import type { EventStore } from '../store/event-store.js';
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
export function persistStage(store: EventStore, observer: PersistObserver): Stage<IngestBatch> {
  return {
    name: 'persist',
    exec(ctx, batch) {
      const { duplicate } = store.append(batch, batch.chunk, ctx.now);
      if (duplicate) {
        observer.duplicate();
        batch.duplicate = true;
        batch.events = [];
      } else {
        observer.stored(batch.input, batch.events.length);
      }
      return batch;
    },
  };
}
