import type { RecordView } from '../api/record-view.js';
import { jsonSafe } from '../api/record-view.js';
import { badge, durationText, timeTag } from './format.js';
import { escapeHtml, html, pathOf, trusted, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { incidentIdsOf, KIND_LABELS, waterfall, type RowKind, type WaterfallRow } from './trace-waterfall.js';

const KIND_TONE: Record<RowKind, 'bad' | 'warn' | 'ok' | 'info' | 'muted'> = { rule: 'bad', command: 'warn', 'edge-action': 'ok', error: 'bad', request: 'info', log: 'muted' };

function offsetText(ms: number): string {
  return ms < 1000 ? `+${Math.round(ms)} ms` : `+${(ms / 1000).toFixed(3)} s`;
}

/** Whether a value holds something plain JSON cannot show (bytes, BigInt), which {@link jsonSafe} converts. */
function needsSafe(v: unknown, depth = 0): boolean {
  if (typeof v === 'bigint' || v instanceof Uint8Array) return true;
  if (v === null || typeof v !== 'object' || depth > 32) return false;
  for (const x of Array.isArray(v) ? v : Object.values(v)) if (needsSafe(x, depth + 1)) return true;
  return false;
}

/**
 * Every record as one JSON array for a `<script type="application/json">` data block (never run): `<`, `>`
 * and `&` as \u escapes, so no text in a record can close the block. The replacer only when a record
 * needs it (it costs 3-4x on every record).
 */
export function recordsJson(records: readonly RecordView[]): string {
  const json = records.some((r) => r.attrs !== undefined && needsSafe(r.attrs)) ? JSON.stringify(records, jsonSafe) : JSON.stringify(records);
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const KIND_BADGES = Object.fromEntries(Object.entries(KIND_LABELS).map(([k, label]) => [k, badge(label, KIND_TONE[k as RowKind]).value])) as Record<RowKind, string>;

/**
 * One row: a summary line (keyboard-focusable, opens the raw record) with the bar on the shared axis.
 * Built by concatenation, every value escaped by hand: a trace may have 10,000 rows.
 */
function row(r: WaterfallRow, n: number): string {
  const rec = r.record;
  const status = typeof rec.status === 'number' ? ` <span class="status">${rec.status}</span>` : '';
  const duration = typeof rec.duration_ms === 'number' ? ` <span class="muted">${rec.duration_ms} ms</span>` : '';
  return (
    `<li class="span ${r.kind}"><details data-n="${n}"><summary><span class="at">${offsetText(r.offsetMs)}</span> <span class="src">${escapeHtml(r.source)}</span> ${KIND_BADGES[r.kind]} ` +
    `<span class="msg">${escapeHtml(String(rec.msg))}${status}${duration}</span>` +
    `<svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true"><rect x="${r.x}" width="${r.width}" height="10"/></svg></summary>` +
    '<pre class="raw"></pre></details></li>'
  );
}

function rowsHtml(rows: readonly WaterfallRow[]): string {
  let out = '';
  for (let n = 0; n < rows.length; n++) out += row(rows[n]!, n);
  return out;
}

function legend(rows: readonly WaterfallRow[]): Html {
  const bySource = new Map<string, number>();
  const byKind = new Map<RowKind, number>();
  for (const r of rows) {
    bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
    byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
  }
  return html`<dl class="facts legend">
<dt>Sources</dt><dd>${[...bySource].map(([s, n]) => html`<span class="chip">${s} <span class="muted">${n}</span></span> `)}</dd>
<dt>Kinds</dt><dd>${[...byKind].map(([k, n]) => html`<span class="chip">${badge(KIND_LABELS[k], KIND_TONE[k])} <span class="muted">${n}</span></span> `)}</dd>
</dl>`;
}

/**
 * `/traces/{id}`: every record of the trace from every node and service in time order, as a waterfall on
 * one time axis; the rule firing, the command and the edge action are rows of their own kinds. Each row
 * opens (Enter, or a click) to the raw record.
 */
export function tracePage(ctx: PageContext, traceId: string, records: readonly RecordView[], truncated: boolean): Html {
  const { rows, startMs, spanMs } = waterfall(records);
  const incidents = incidentIdsOf(records);
  const body = rows.length
    ? html`<dl class="facts summary">
<dt>Records</dt><dd>${rows.length}${truncated ? ' (the first ones only: the trace is longer)' : ''}</dd>
<dt>Start</dt><dd>${timeTag(startMs)}</dd>
<dt>Span</dt><dd>${durationText(spanMs)}</dd>
${incidents.length ? html`<dt>Incident</dt><dd>${incidents.map((id) => html`<a href="${pathOf('incidents', id)}">${id}</a> `)}</dd>` : ''}
</dl>
${legend(rows)}
<p class="muted">Each row opens to its raw record (Enter or click; or see the JSON). Bars share one time axis from the first record to the last.</p>
<ol class="waterfall">${trusted(rowsHtml(rows))}</ol>
<script type="application/json" id="trace-records">${trusted(recordsJson(rows.map((r) => r.record)))}</script>`
    : html`<p class="empty">No records with this trace id are stored (they may have aged out, or not arrived yet).</p>`;
  return layout(ctx, {
    title: `Trace ${traceId.slice(0, 8)}`,
    nav: 'traces',
    body: html`<h1>Trace <code class="id">${traceId}</code></h1>
<p class="links"><a href="${pathOf('api', 'traces', traceId)}">JSON</a></p>
${body}`,
  });
}
