import { Unpackr } from 'msgpackr';
import type { Event } from '../events/event.js';
import { normaliseEntries } from '../events/normalise.js';
import { registerEventTimeExtension } from '../ingest/forward/event-time.js';

registerEventTimeExtension();

const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false, int64AsType: 'auto' } as unknown as ConstructorParameters<typeof Unpackr>[0]);

/**
 * Decodes a stored block back into events. Blocks keep the entries exactly as the sender packed them
 * (like Loki keeping raw lines), so ingest pays no re-encoding and reading normalises them again.
 */
export function decodeBlock(tag: string, payload: Uint8Array): Event[] {
  const out: Event[] = [];
  normaliseEntries(tag, unpackr.unpackMultiple(payload), out, () => {});
  return out;
}
