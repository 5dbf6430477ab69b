import { recordView } from '../api/record-view.js';
import type { EventStore } from '../store/event-store.js';
import type { Evidence } from './incident.js';

/** How far back an incident's evidence reaches: the node/task's log lines in the minutes before it opened. */
export const EVIDENCE_WINDOW_MS = 5 * 60_000;

/** Gathers an incident's evidence from the store: the affected node/task's last 50 records before onset. */
export function storeEvidence(store: EventStore) {
  return (labels: Record<string, string>, startedAt: number, traceIds: string[], value: number | undefined): Evidence => {
    const windowStart = startedAt - EVIDENCE_WINDOW_MS;
    const logs = store
      .logs({ ...(labels.node ? { node: labels.node } : {}), ...(labels.task ? { task: labels.task } : {}), sinceMs: windowStart, untilMs: startedAt, limit: 50 })
      .map(recordView);
    return { traceIds, logs, windowStart, windowEnd: startedAt, ...(value !== undefined ? { value } : {}) };
  };
}
