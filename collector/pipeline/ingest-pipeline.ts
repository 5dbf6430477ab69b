import type { EntryRejection } from '../events/normalise.js';
import type { EventStore } from '../store/event-store.js';
import type { IngestBatch } from './ingest-batch.js';
import { dedupStage } from './dedup-stage.js';
import { normaliseStage } from './normalise-stage.js';
import { persistStage, type PersistObserver } from './persist-stage.js';
import { sequence, type Stage } from './stage.js';

/** What the ingest pipeline needs from the composition root. */
export interface IngestPipelineDeps {
  store: EventStore;
  observer: PersistObserver & { entryRejected(reason: EntryRejection): void; duplicateRecords(records: number): void };
}

/**
 * The collector's ingest pipeline, read top to bottom. Inputs (the forward server today; MQTT and the
 * Alertmanager webhook later) hand it one batch per frame and ack the sender once it resolves.
 */
export function ingestPipeline(deps: IngestPipelineDeps): Stage<IngestBatch> {
  return sequence(
    normaliseStage((reason) => deps.observer.entryRejected(reason)),
    dedupStage(deps.store, (records) => deps.observer.duplicateRecords(records)),
    persistStage(deps.store, deps.observer),
    // Issue 5 adds the rule engine here, after persist so it never sees a resent chunk twice:
    // fanout(evaluateRules(...), ...).
  );
}
