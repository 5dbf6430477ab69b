import type { RecordView } from '../api/record-view.js';
import { COLLECTOR_SERVICE } from '../pipeline/internal-events.js';
import { recordMs } from './log-lines.js';

/** What a record is in the picture: the remediation spans stand out from the requests and logs. */
export type RowKind = 'rule' | 'command' | 'edge-action' | 'error' | 'request' | 'log';

/** Labels of the kinds, for the badge and the legend. */
export const KIND_LABELS: Record<RowKind, string> = {
  rule: 'rule fired',
  command: 'command',
  'edge-action': 'edge action',
  error: 'failing',
  request: 'request',
  log: 'log',
};

/** One record placed on the waterfall: where its bar starts and how wide it is, in thousandths of the trace. */
export interface WaterfallRow {
  record: RecordView;
  kind: RowKind;
  /** node/task, or the service for records from elsewhere (the collector). */
  source: string;
  atMs: number;
  offsetMs: number;
  x: number;
  width: number;
}

function attr(r: RecordView, name: string): unknown {
  const attrs = r.attrs as Record<string, unknown> | undefined;
  return attrs && typeof attrs === 'object' ? attrs[name] : undefined;
}

/** The kind of a record (see {@link RowKind}). */
export function kindOf(r: RecordView): RowKind {
  const collector = r.service === COLLECTOR_SERVICE;
  if (collector && attr(r, 'incident_id') !== undefined) return 'rule';
  if (collector && attr(r, 'command_id') !== undefined) return 'command';
  if (r.stream === 'agent' && attr(r, 'command_id') !== undefined) return 'edge-action';
  const status = typeof r.status === 'number' ? r.status : undefined;
  if ((status !== undefined && status >= 500) || r.level === 'error' || r.level === 'fatal') return 'error';
  return status !== undefined ? 'request' : 'log';
}

/** Where a record came from, as the waterfall's lane label. */
export function sourceOf(r: RecordView): string {
  if (r.service === COLLECTOR_SERVICE) return COLLECTOR_SERVICE;
  if (r.node && r.task) return `${r.node}/${r.task}`;
  return r.node ?? r.service ?? r.task ?? 'unknown';
}

/** Incidents named by the trace's rule-fired records. */
export function incidentIdsOf(records: readonly RecordView[]): string[] {
  const ids = new Set<string>();
  for (const r of records) {
    const id = attr(r, 'incident_id');
    if (r.service === COLLECTOR_SERVICE && typeof id === 'string') ids.add(id);
  }
  return [...ids];
}

/**
 * Places records (in time order) on one time axis: a record with `duration_ms` is a bar ending at its
 * time (a request logged when it finished), any other a tick. The axis spans the earliest start to the
 * latest record.
 */
export function waterfall(records: readonly RecordView[]): { rows: WaterfallRow[]; startMs: number; spanMs: number } {
  if (!records.length) return { rows: [], startMs: 0, spanMs: 0 };
  const placed = records.map((record) => {
    const atMs = recordMs(record);
    const d = typeof record.duration_ms === 'number' && Number.isFinite(record.duration_ms) && record.duration_ms > 0 ? record.duration_ms : 0;
    return { record, atMs, fromMs: atMs - d };
  });
  let startMs = Infinity;
  let endMs = -Infinity;
  for (const p of placed) {
    startMs = Math.min(startMs, p.fromMs);
    endMs = Math.max(endMs, p.atMs);
  }
  const spanMs = Math.max(1, endMs - startMs);
  const rows = placed.map((p) => {
    const x = Math.min(997, Math.round(((p.fromMs - startMs) / spanMs) * 1000));
    const width = Math.max(3, Math.min(1000 - x, Math.round(((p.atMs - p.fromMs) / spanMs) * 1000)));
    return { record: p.record, kind: kindOf(p.record), source: sourceOf(p.record), atMs: p.atMs, offsetMs: p.atMs - startMs, x, width };
  });
  return { rows, startMs, spanMs };
}
