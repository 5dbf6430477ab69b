import { normaliseEntries, type EntryRejection } from '../events/normalise.js';
import type { IngestBatch } from './ingest-batch.js';
import type { Stage } from './stage.js';

/** Turns a batch's raw forward entries into events; bad entries are dropped and reported, the rest go on. */
export function normaliseStage(onRejected: (reason: EntryRejection) => void): Stage<IngestBatch> {
  return {
    name: 'normalise',
    exec(_ctx, batch) {
      const events = new Array<IngestBatch['events'][number]>();
      normaliseEntries(batch.tag, batch.entries, events, onRejected);
      // a service sender's records name no node: only a node's own credentials speak for a node
      if (batch.sender?.kind === 'service') for (const e of events) e.node = undefined;
      batch.events = events;
      return batch;
    },
  };
}
