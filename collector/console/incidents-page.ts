import { z } from 'zod';
import type { Incident, IncidentStatus } from '../incidents/incident.js';
import { agoText, badge, timeTag } from './format.js';
import { html, pathOf, withQuery, type Html } from './html.js';
import { doneText, heldBadge, openFirst, severityBadge, statusBadge, targetLinks } from './incident-summary.js';
import { layout, type PageContext } from './layout.js';

/** Query of the incidents list: which page, how many a page. */
export const incidentsQuery = z.strictObject({
  page: z.string().regex(/^\d{1,6}$/, 'must be a page number like 2').transform(Number).pipe(z.number().int().min(1)).default(1),
  limit: z.string().regex(/^\d{1,4}$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(10).max(500)).default(50),
});
export type IncidentsQuery = z.output<typeof incidentsQuery>;

/** Where the list's incidents come from: open ones in memory, ended ones from the state DB by page. */
export interface IncidentListSource {
  unresolved(): Incident[];
  resolved(limit: number, offset: number): Incident[];
  counts(): Record<IncidentStatus, number>;
}

/** One page of the list: open incidents first (newest first), then resolved ones (newest first). */
export function incidentPage(src: IncidentListSource, q: IncidentsQuery): { rows: Incident[]; open: number; total: number } {
  const open = openFirst(src.unresolved());
  const counts = src.counts();
  const total = open.length + counts.resolved;
  const start = (q.page - 1) * q.limit;
  const rows = open.slice(start, start + q.limit);
  if (rows.length < q.limit) rows.push(...src.resolved(q.limit - rows.length, Math.max(0, start - open.length)));
  return { rows, open: open.length, total };
}

function row(i: Incident, now: number): Html {
  const href = pathOf('incidents', i.id);
  return html`<tr class="${i.status === 'resolved' ? 'ended' : 'live'}">
<td data-label="Status">${statusBadge(i.status)}</td>
<td data-label="Rule"><a href="${href}">${i.rule}</a>${i.origin === 'edge' ? html` ${badge(i.edge?.late ? 'edge, late' : 'edge', 'info')}` : ''}</td>
<td data-label="Node / task">${targetLinks(i.labels)}</td>
<td data-label="Severity">${severityBadge(i.severity)}</td>
<td data-label="Age">${timeTag(i.startedAt)}<br><span class="muted">${agoText(i.startedAt, now)}</span></td>
<td data-label="Done">${doneText(i)}</td>
<td data-label="Held">${heldBadge(i)}</td>
</tr>`;
}

function pager(q: IncidentsQuery, total: number): Html {
  const pages = Math.max(1, Math.ceil(total / q.limit));
  if (pages === 1) return html``;
  const link = (page: number, label: string, rel: string) => html`<a rel="${rel}" href="${withQuery('/incidents', { page, limit: q.limit === 50 ? undefined : q.limit })}">${label}</a>`;
  return html`<nav class="pager" aria-label="Pages">${q.page > 1 ? link(q.page - 1, '← Newer', 'prev') : ''} <span>page ${q.page} of ${pages}</span> ${q.page < pages ? link(q.page + 1, 'Older →', 'next') : ''}</nav>`;
}

/** The incidents list (`/` and `/incidents`). */
export function incidentsPage(ctx: PageContext, src: IncidentListSource, q: IncidentsQuery): Html {
  const { rows, open, total } = incidentPage(src, q);
  const summary = open === 0 ? 'No open incidents.' : `${open} open incident${open === 1 ? '' : 's'}.`;
  const table = rows.length
    ? html`<table class="list incidents">
<caption class="visually-hidden">Incidents, open first, then the newest resolved</caption>
<thead><tr><th scope="col">Status</th><th scope="col">Rule</th><th scope="col">Node / task</th><th scope="col">Severity</th><th scope="col">Started</th><th scope="col">What was done</th><th scope="col">Held</th></tr></thead>
<tbody>${rows.map((i) => row(i, ctx.now))}</tbody>
</table>`
    : html`<p class="empty">Nothing has fired yet. Incidents appear here as soon as a rule fires.</p>`;
  return layout(ctx, {
    title: 'Incidents',
    nav: 'incidents',
    body: html`<h1>Incidents</h1>
<div id="incident-list" data-live="10">
<p class="lead">${summary} ${total - open} resolved kept.</p>
${table}
${pager(q, total)}
</div>`,
  });
}
