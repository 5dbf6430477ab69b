import type { Incident, IncidentAction, IncidentStatus } from '../incidents/incident.js';
import { badge } from './format.js';
import { html, pathOf, type Html } from './html.js';

/** "api on edge-local", or the node alone, or the labels when neither is there. */
export function targetText(labels: Record<string, string>): string {
  if (labels.task && labels.node) return `${labels.task} on ${labels.node}`;
  if (labels.node) return labels.node;
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return pairs.length ? pairs.join(', ') : '(no labels)';
}

/** The nodes page, scrolled to one node. */
export function nodeAnchor(node: string): string {
  return `/nodes#node-${encodeURIComponent(node)}`;
}

/** Links to the node and its task, as far as the labels name them. */
export function targetLinks(labels: Record<string, string>): Html {
  if (labels.node && labels.task) return html`<a href="${pathOf('nodes', labels.node, 'tasks', labels.task)}">${labels.task}</a> on <a href="${nodeAnchor(labels.node)}">${labels.node}</a>`;
  if (labels.node) return html`<a href="${nodeAnchor(labels.node)}">${labels.node}</a>`;
  return html`${targetText(labels)}`;
}

const STATUS_TONE: Record<IncidentStatus, 'bad' | 'warn' | 'ok' | 'info'> = { firing: 'bad', remediating: 'warn', escalated: 'bad', resolved: 'ok' };

/** The incident's status as a badge. */
export function statusBadge(status: IncidentStatus): Html {
  return badge(status, STATUS_TONE[status]);
}

/** The severity as a badge (critical and page stand out). */
export function severityBadge(severity: string): Html {
  return badge(severity, severity === 'critical' || severity === 'page' ? 'bad' : severity === 'warning' ? 'warn' : 'info');
}

/** One step in words: "restart done", "rollback withheld (cooldown)". */
export function actionText(a: IncidentAction): string {
  const withheld = ['cooldown', 'rate_limited', 'breaker_open', 'no_target', 'dry_run'].includes(a.result);
  const result = a.result === 'dry_run' ? 'not sent (dry run)' : withheld ? `withheld (${a.result.replace('_', ' ')})` : a.result;
  return `${a.type}${a.target ? ` to ${a.target}` : ''} ${result}`;
}

/** What was done about an incident, briefly: its last step, and how many came before. */
export function doneText(i: Incident): string {
  const last = i.actions.at(-1);
  if (!last) return i.ladder.length === 0 ? 'notify only (the rule takes no action)' : 'nothing yet';
  return i.actions.length > 1 ? `${actionText(last)} (step ${i.actions.length})` : actionText(last);
}

/** Whether the fix held: the last step's verification, in a word and a tone. */
export function heldOf(i: Incident): { text: string; tone: 'ok' | 'bad' | 'warn' | 'muted' } {
  const last = i.actions.at(-1);
  if (i.status === 'escalated') return { text: 'no: escalated', tone: 'bad' };
  if (!last) return i.status === 'resolved' ? { text: 'cleared by itself', tone: 'muted' } : { text: '—', tone: 'muted' };
  if (last.verified === true) return { text: 'held', tone: 'ok' };
  if (last.verified === false) return { text: 'did not hold', tone: 'bad' };
  if (last.result === 'done' && i.status !== 'resolved') return { text: 'verifying', tone: 'warn' };
  if (i.status === 'resolved') return { text: 'cleared', tone: 'ok' };
  return { text: '—', tone: 'muted' };
}

/** The held/verifying word as a badge. */
export function heldBadge(i: Incident): Html {
  const h = heldOf(i);
  return badge(h.text, h.tone);
}

/** Open incidents first (newest first), as the list shows them. */
export function openFirst(open: Incident[]): Incident[] {
  return [...open].sort((a, b) => b.startedAt - a.startedAt);
}
