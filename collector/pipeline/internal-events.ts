import { encodeEntries, eventTimeOf } from './entry-codec.js';
import { ingestBatch, type IngestBatch } from './ingest-batch.js';
import type { Stage } from './stage.js';

/** A record the collector itself writes into the store (a command it sent, an incident step). */
export interface InternalRecord {
  timeMs: number;
  level: 'info' | 'warn' | 'error';
  msg: string;
  trace_id?: string;
  span_id?: string;
  node?: string;
  /** Extra fields, stored as the record's attrs (names the normaliser reads, like status or severity, are not free). */
  attrs?: Record<string, unknown>;
}

/** The service name the collector's own records carry (what `/api/traces` shows beside edge records). */
export const COLLECTOR_SERVICE = 'edgewatch-collector';

/**
 * Writes the collector's own records through the same pipeline as forward input (normalise, persist), so
 * `/api/traces/{id}` shows a command and its edge action in one trace. Errors are the caller's to log.
 */
export function internalWriter(pipeline: Stage<IngestBatch>, now: () => number): (records: InternalRecord[]) => Promise<void> {
  return async (records) => {
    if (records.length === 0) return;
    const entries = records.map((r) => {
      const { timeMs, attrs, ...body } = r;
      // attrs go at the top level: the normaliser keeps a service record's extra keys as its attrs
      return [eventTimeOf(timeMs), { ...attrs, ...body, service: COLLECTOR_SERVICE }];
    });
    await pipeline.exec({ now: now() }, ingestBatch('internal', COLLECTOR_SERVICE, entries, encodeEntries(entries), undefined));
  };
}
