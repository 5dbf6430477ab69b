import type { RecordView } from '../api/record-view.js';
import { badge, timeTag } from './format.js';
import { html, pathOf, type Html } from './html.js';

/** Epoch ms of a record view (its nanosecond timestamp, else its RFC 3339 time). */
export function recordMs(r: Pick<RecordView, 'time' | 'timeUnixNano'>): number {
  if (typeof r.timeUnixNano === 'string' && /^\d+$/.test(r.timeUnixNano)) return Number(BigInt(r.timeUnixNano) / 1_000_000n);
  return Date.parse(r.time);
}

const LEVEL_TONE: Record<string, 'bad' | 'warn' | 'info' | 'muted'> = { fatal: 'bad', error: 'bad', warn: 'warn', info: 'info', debug: 'muted', trace: 'muted' };

/** A record's trace id as a link to its waterfall, or nothing. */
export function traceLink(traceId: unknown, label?: string): Html {
  if (typeof traceId !== 'string' || !/^[0-9a-f]{32}$/.test(traceId)) return html``;
  return html`<a class="trace" href="${pathOf('traces', traceId)}" title="trace ${traceId}">${label ?? `trace ${traceId.slice(0, 8)}…`}</a>`;
}

/** One log line: time, level, HTTP status, message, and its trace as a link. */
export function logLine(r: RecordView): Html {
  const status = typeof r.status === 'number' ? badge(String(r.status), r.status >= 500 ? 'bad' : r.status >= 400 ? 'warn' : 'muted') : '';
  const duration = typeof r.duration_ms === 'number' ? html`<span class="muted">${r.duration_ms} ms</span>` : '';
  return html`<li class="log ${r.level}">${timeTag(recordMs(r), 'time')} ${badge(r.level, LEVEL_TONE[r.level] ?? 'info')} ${status} <span class="msg">${r.msg}</span> ${duration} ${traceLink(r.trace_id)}</li>`;
}

/** Log lines as a list, oldest first; `id` lets the live tail find it. */
export function logList(records: readonly RecordView[], o: { id?: string; empty: string }): Html {
  if (!records.length) return html`<ol class="logs"${o.id ? html` id="${o.id}"` : ''}><li class="empty">${o.empty}</li></ol>`;
  return html`<ol class="logs"${o.id ? html` id="${o.id}"` : ''}>${records.map(logLine)}</ol>`;
}
