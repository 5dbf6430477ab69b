import type { Event } from '../events/event.js';

/** One unit of work through the pipeline: the entries of one forward frame, and what stages made of them. */
export interface IngestBatch {
  /** The input that received it, a metric label ("forward"). */
  readonly input: string;
  readonly tag: string;
  /** Decoded `[time, record]` entries, not yet validated. */
  readonly entries: readonly unknown[];
  /** The same entries as concatenated msgpack `[time, record]` arrays, as received (what the store keeps). */
  readonly payload: Uint8Array;
  /** The sender's chunk id; resends carry the same one, so the store deduplicates by it. */
  readonly chunk: string | undefined;
  /** Filled by the normalise stage. */
  events: Event[];
  /** Set by the persist stage when the chunk was stored before; later stages must not act on it again. */
  duplicate: boolean;
  /** Who sent it, when the input authenticated the sender: a service's records never speak for a node. */
  readonly sender?: { kind: 'node' | 'service'; name: string };
}

/** A fresh batch for the pipeline. */
export function ingestBatch(input: string, tag: string, entries: readonly unknown[], payload: Uint8Array, chunk: string | undefined, sender?: IngestBatch['sender']): IngestBatch {
  return { input, tag, entries, payload, chunk, events: [], duplicate: false, ...(sender ? { sender } : {}) };
}
