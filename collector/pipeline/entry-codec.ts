import { Packr } from 'msgpackr';
import { EventTime } from '../ingest/forward/event-time.js';

const packr = new Packr({ useRecords: false });

/**
 * Encodes `[time, record]` entries as the concatenated msgpack the store keeps (PackedForward's entry
 * stream), writing EventTime as ext 0 by hand because msgpackr will not pack that type itself.
 */
export function encodeEntries(entries: readonly unknown[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const [time, record] = entry as [unknown, unknown];
    parts.push(Buffer.from([0x92]), time instanceof EventTime ? time.encode() : Buffer.from(packr.pack(time)), Buffer.from(packr.pack(record)));
  }
  return Buffer.concat(parts);
}

/** EventTime of an epoch-ms instant (nanosecond field from the sub-second part). */
export function eventTimeOf(timeMs: number): EventTime {
  const sec = Math.floor(timeMs / 1000);
  return new EventTime(sec, Math.round((timeMs - sec * 1000) * 1e6));
}
