import type { Incident, IncidentAction } from '../incidents/incident.js';
import { badge, durationText, utcText } from './format.js';
import { html, type Html } from './html.js';
import type { TimelineEntry } from './incident-timeline.js';

/** How an edge clock correction reads: "edge clock 2 ms behind, corrected". */
function offsetText(ms: number): string {
  if (Math.abs(ms) < 1) return 'edge clock in step with the collector';
  return `edge clock ${durationText(Math.abs(ms))} ${ms > 0 ? 'ahead' : 'behind'}, corrected`;
}

/** The summary facts of an incident a node handled itself: where it was handled, lateness, the clock. */
export function edgeFacts(i: Incident): Html {
  const e = i.edge;
  if (!e) return html``;
  return html`<dt>Handled</dt><dd>${badge('edge', 'info')} on the node itself${e.late ? html` ${badge('late', 'warn')} with its link down, reported ${utcText(e.receivedAt)}` : ''}</dd>
<dt>Clock</dt><dd>${offsetText(e.clockOffsetMs)} (times below are the collector's)</dd>
${e.supersededBy ? html`<dt>Superseded</dt><dd>the collector's incident <a href="/incidents/${e.supersededBy}">${e.supersededBy}</a> acted first</dd>` : ''}`;
}

/** A step the node took: no command record here (it ran without the collector), its result as reported. */
export function edgeActionEntry(a: IncidentAction): TimelineEntry {
  const tone = a.result === 'done' ? 'ok' : a.result === 'pending' ? 'info' : a.result === 'failed' ? 'bad' : 'warn';
  const detail = [a.commandId ? `local command ${a.commandId}` : '', a.version ? `version ${a.version}` : '', a.reason ?? ''].filter(Boolean).join(', ');
  return { at: a.issuedAt, kind: 'command', title: `${a.type} ${a.result} on the node itself (edge)`, ...(detail ? { detail } : {}), tone };
}

/** The node's own timeline, each line at its corrected time with the edge clock's reading beside it. */
export function edgeTimelineEntries(i: Incident): TimelineEntry[] {
  return (i.edge?.timeline ?? []).map((t) => ({ at: t.at, kind: 'edge' as const, title: t.what, detail: `edge clock ${utcText(t.edgeAt)}`, tone: 'muted' as const }));
}
