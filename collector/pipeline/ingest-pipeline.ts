import type { EntryRejection } from '../events/normalise.js';
import type { EventStore } from '../store/event-store.js';
import type { IngestBatch } from './ingest-batch.js';
import { dedupStage } from './dedup-stage.js';
import { normaliseStage } from './normalise-stage.js';
import { persistStage, type Appender, type PersistObserver } from './persist-stage.js';
import { fanout, sequence, type Stage } from './stage.js';

/** What the ingest pipeline needs from the composition root. */
export interface IngestPipelineDeps {
  store: EventStore;
  /** Durable writes (a group commit in the collector); the store's own append when absent. */
  append?: Appender;
  /** Stages that see every stored batch once (never a resend): correlation bookkeeping, rule evaluation. */
  after?: Stage<IngestBatch>[];
  observer: PersistObserver & { entryRejected(reason: EntryRejection): void; duplicateRecords(records: number): void };
}

/**
 * The collector's ingest pipeline, read top to bottom. Inputs (the forward server today; MQTT and the
 * Alertmanager webhook later) hand it one batch per frame and ack the sender once it resolves.
 */
export function ingestPipeline(deps: IngestPipelineDeps): Stage<IngestBatch> {
  return sequence(
    (batch) => batch.events.length === 0,
    normaliseStage((reason) => deps.observer.entryRejected(reason)),
    dedupStage(deps.store, (records) => deps.observer.duplicateRecords(records)),
    persistStage(deps.append ?? ((r) => deps.store.append(r.batch, r.chunkId, r.nowMs)), deps.observer),
    // after persist, so a resent chunk is never evaluated twice
    fanout(...(deps.after ?? [])),
  );
}
