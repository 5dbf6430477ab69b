import type { EventStore } from '../store/event-store.js';
import { encodeEntries } from './entry-codec.js';
import type { IngestBatch } from './ingest-batch.js';
import type { Stage } from './stage.js';

function identity(entry: unknown): { sid: string; seq: number } | undefined {
  const record = Array.isArray(entry) ? (entry[1] as { sid?: unknown; seq?: unknown } | undefined) : undefined;
  if (!record || typeof record.sid !== 'string' || typeof record.seq !== 'number') return undefined;
  return { sid: record.sid, seq: record.seq };
}

/**
 * Drops exporter records that were stored before. fluent-logger gives every flush a new chunk id, so a
 * resend after a lost ack is recognised by each record's spool id and sequence number instead; the
 * stage keeps the batch whole in the usual case and rewrites it only when a resend overlaps part of it.
 */
export function dedupStage(store: EventStore, onDuplicates: (records: number) => void): Stage<IngestBatch> {
  return {
    name: 'dedup',
    exec(_ctx, batch) {
      const events = batch.events;
      if (events.length === 0 || events[0]!.sid === undefined) return batch;
      let seen = 0;
      for (const e of events) if (e.sid !== undefined && e.seq !== undefined && store.delivered(e.sid, e.seq)) seen++;
      if (seen === 0) return batch;
      onDuplicates(seen);
      if (seen === events.length) {
        batch.events = [];
        batch.duplicate = true;
        return batch;
      }
      const isNew = (id: { sid: string; seq: number } | undefined) => !id || !store.delivered(id.sid, id.seq);
      const keptEntries = batch.entries.filter((entry) => isNew(identity(entry)));
      return {
        ...batch,
        entries: keptEntries,
        payload: encodeEntries(keptEntries),
        events: events.filter((e) => e.sid === undefined || e.seq === undefined || !store.delivered(e.sid, e.seq)),
      };
    },
  };
}
