import { Packr, Unpackr } from 'msgpackr';
import type { Event } from '../events/event.js';
import { registerEventTimeExtension } from '../ingest/forward/event-time.js';

registerEventTimeExtension();

// Records mode writes each event shape's keys once per block; undefined must be nil because ext 0 is
// EventTime here, not msgpackr's default "undefined" marker.
const packr = new Packr({ useRecords: true, encodeUndefinedAsNil: true, moreTypes: false });
const unpackr = new Unpackr({ useRecords: true, mapsAsObjects: true });

/** Encodes a batch of events as one block; the returned bytes are only valid until the next call. */
export function encodeBlock(events: readonly Event[]): Buffer {
  return packr.pack(events);
}

/** Decodes a block back into events; nil fields come back absent. */
export function decodeBlock(data: Uint8Array): Event[] {
  const rows = unpackr.unpack(data) as Array<Record<string, unknown>>;
  for (const row of rows) {
    for (const k in row) if (row[k] === null) delete row[k];
  }
  return rows as unknown as Event[];
}
