import type { Rule } from '../../common/rules/rule-schema.js';
import type { Incident } from '../incidents/incident.js';
import { edgeFacts } from './edge-incident.js';
import { badge, durationText, timeTag } from './format.js';
import { taskDashboardUrl } from './grafana-link.js';
import { html, pathOf, type Html } from './html.js';
import { heldBadge, severityBadge, statusBadge, targetLinks } from './incident-summary.js';
import { incidentTimeline, type TimelineEntry, type TimelineSources } from './incident-timeline.js';
import { layout, type PageContext } from './layout.js';
import { logList, traceLink } from './log-lines.js';
import { explainRule } from './rule-explanation.js';
import { taskActions } from './task-actions.js';

/** What the incident page reads besides the incident. */
export interface IncidentPageSources extends TimelineSources {
  rule(name: string): Rule | undefined;
  grafanaUrl?: string;
}

function entry(e: TimelineEntry): Html {
  const command = e.commandId ? html` <a class="muted" href="${pathOf('api', 'commands', e.commandId)}">command JSON</a>` : '';
  return html`<li class="entry ${e.kind} ${e.tone}">
<span class="when">${timeTag(e.at, 'time')}</span>
<span class="what">${badge(e.kind, e.tone)} ${e.title}${command}</span>
${e.detail ? html`<span class="detail">${e.detail}</span>` : ''}
</li>`;
}

function why(i: Incident, rule: Rule | undefined): Html {
  const x = explainRule(rule, i.evidence.value);
  const notes = Object.entries(i.annotations).filter(([k]) => k !== 'trace_id');
  return html`<section aria-labelledby="why"><h2 id="why">Why it fired</h2>
<p>${x.text}</p>
<dl class="facts">
${x.value !== undefined ? html`<dt>Value</dt><dd><strong>${x.value}</strong></dd>` : ''}
${x.band ? html`<dt>Expected</dt><dd>${x.band}</dd>` : ''}
${notes.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}
</dl></section>`;
}

function ladder(i: Incident): Html {
  if (!i.ladder.length) return html`<p class="muted">This rule takes no action: it notifies only.</p>`;
  return html`<p>Ladder: ${i.ladder.map((step, n) => html`${n ? ' → ' : ''}<span class="${n === i.step && i.status !== 'resolved' ? 'current' : n < i.step ? 'past' : ''}">${step}</span>`)}</p>`;
}

function links(i: Incident, src: IncidentPageSources, now: number): Html {
  const grafana = taskDashboardUrl(src.grafanaUrl, i.labels.node, i.labels.task, i.startedAt, i.resolvedAt ?? now);
  return html`<p class="links">${traceLink(i.traceId, 'Trace waterfall')}
${grafana ? html`<a href="${grafana}" rel="noopener noreferrer">Grafana: task dashboard</a>` : ''}
<a href="${pathOf('api', 'incidents', i.id)}">JSON</a></p>`;
}

/** An incident's page: what fired and why, what was done and whether it held, in time order, and the evidence. */
export function incidentPage(ctx: PageContext, i: Incident, src: IncidentPageSources): Html {
  const end = i.resolvedAt ?? ctx.now;
  const timeline = incidentTimeline(i, src);
  const open = i.status !== 'resolved';
  return layout(ctx, {
    title: `${i.rule} · ${i.labels.task ?? i.labels.node ?? i.id}`,
    nav: 'incidents',
    body: html`<p class="crumbs"><a href="/incidents">Incidents</a> /</p>
<h1>${i.rule} ${statusBadge(i.status)}</h1>
<dl class="facts summary">
<dt>Where</dt><dd>${targetLinks(i.labels)}</dd>
<dt>Severity</dt><dd>${severityBadge(i.severity)}</dd>
<dt>Started</dt><dd>${timeTag(i.startedAt)}</dd>
<dt>${open ? 'Open for' : 'Lasted'}</dt><dd>${durationText(end - i.startedAt)}</dd>
<dt>Held</dt><dd>${heldBadge(i)}</dd>
${i.escalation ? html`<dt>Escalated</dt><dd>${i.escalation}</dd>` : ''}
${edgeFacts(i)}
</dl>
${links(i, src, ctx.now)}
${open && i.labels.node && i.labels.task ? taskActions(ctx, i.labels.node, i.labels.task) : ''}
${why(i, src.rule(i.rule))}
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2>
${ladder(i)}
<ol class="timeline">${timeline.map(entry)}</ol>
${src.deliveries(i.id) ? '' : html`<p class="muted">Webhook deliveries are shown for incidents since the collector started.</p>`}
</section>
<section aria-labelledby="evidence"><h2 id="evidence">Evidence</h2>
<p class="muted">Log lines of ${i.labels.task ?? i.labels.node ?? 'the key'} from ${timeTag(i.evidence.windowStart, 'time')} to the onset${i.evidence.traceIds.length ? html`; the lines that made it fire: ${i.evidence.traceIds.map((t) => html`${traceLink(t)} `)}` : ''}.</p>
${logList(i.evidence.logs, { empty: 'No log lines in the window before onset.' })}
</section>`,
  });
}
