import type { RecordView } from '../api/record-view.js';
import { jsonSafe } from '../api/record-view.js';
import { badge, durationText, timeTag } from './format.js';
import { html, pathOf, type Html } from './html.js';
import { layout, type PageContext } from './layout.js';
import { incidentIdsOf, KIND_LABELS, waterfall, type RowKind, type WaterfallRow } from './trace-waterfall.js';

const KIND_TONE: Record<RowKind, 'bad' | 'warn' | 'ok' | 'info' | 'muted'> = { rule: 'bad', command: 'warn', 'edge-action': 'ok', error: 'bad', request: 'info', log: 'muted' };

function offsetText(ms: number): string {
  return ms < 1000 ? `+${Math.round(ms)} ms` : `+${(ms / 1000).toFixed(3)} s`;
}

/** One row: a summary line (keyboard-focusable, opens the raw record) with the bar on the shared axis. */
function row(r: WaterfallRow, n: number): Html {
  const rec = r.record;
  const status = typeof rec.status === 'number' ? html` <span class="status">${rec.status}</span>` : '';
  const duration = typeof rec.duration_ms === 'number' ? html` <span class="muted">${rec.duration_ms} ms</span>` : '';
  return html`<li class="span ${r.kind}" id="r${n}"><details><summary>
<span class="at">${offsetText(r.offsetMs)}</span>
<span class="src">${r.source}</span>
${badge(KIND_LABELS[r.kind], KIND_TONE[r.kind])}
<span class="msg">${rec.msg}${status}${duration}</span>
<svg class="bar" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect x="${r.x}" y="0" width="${r.width}" height="10"></rect></svg>
</summary>
<p class="raw-time">${timeTag(r.atMs)}</p>
<pre class="raw">${JSON.stringify(rec, jsonSafe, 2)}</pre>
</details></li>`;
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
<p class="muted">Each row opens to its raw record (Enter or click). Bars share one time axis from the first record to the last.</p>
<ol class="waterfall">${rows.map(row)}</ol>`
    : html`<p class="empty">No records with this trace id are stored (they may have aged out, or not arrived yet).</p>`;
  return layout(ctx, {
    title: `Trace ${traceId.slice(0, 8)}`,
    nav: 'traces',
    body: html`<h1>Trace <code class="id">${traceId}</code></h1>
<p class="links"><a href="${pathOf('api', 'traces', traceId)}">JSON</a></p>
${body}`,
  });
}
