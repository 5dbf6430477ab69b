import type { Ack } from '../../protocol/commands.js';
import type { CommandRecord } from '../control/command-dispatcher.js';
import type { Incident, IncidentAction } from '../incidents/incident.js';
import type { DeliveryAttempt } from '../notify/delivery-journal.js';
import { edgeActionEntry, edgeTimelineEntries } from './edge-incident.js';
import { actionText, targetText } from './incident-summary.js';

/** What kind of moment a timeline entry is (a CSS class and an icon word). */
export type EntryKind = 'evidence' | 'onset' | 'command' | 'ack' | 'verify' | 'withheld' | 'escalation' | 'resolved' | 'delivery' | 'edge';

/** One moment in an incident's life. Text only: the page escapes it. */
export interface TimelineEntry {
  at: number;
  kind: EntryKind;
  title: string;
  detail?: string;
  /** The command this entry belongs to (links to GET /api/commands/{id}). */
  commandId?: string;
  tone: 'bad' | 'warn' | 'ok' | 'info' | 'muted';
}

/** Where the timeline reads commands and webhook attempts. */
export interface TimelineSources {
  command(id: string): CommandRecord | undefined;
  deliveries(incidentId: string): readonly DeliveryAttempt[] | undefined;
}

const ACK_TONE: Record<string, TimelineEntry['tone']> = { accepted: 'info', done: 'ok', failed: 'bad', rejected: 'bad' };

function ackEntry(a: Ack, type: string, id: string): TimelineEntry {
  const reason = a.reason ? `: ${a.reason}` : '';
  return { at: a.at, kind: 'ack', title: `${a.node} acked ${type} ${a.status}${reason}`, commandId: id, tone: ACK_TONE[a.status] ?? 'info' };
}

/** The verification of a step: when its window ended and whether the fix held. */
function verifyEntry(i: Incident, a: IncidentAction, next: IncidentAction | undefined): TimelineEntry | undefined {
  if (a.verified === undefined) {
    if (a.result === 'done' && i.verifyUntil !== undefined && next === undefined && i.status !== 'resolved') {
      return { at: i.verifyUntil, kind: 'verify', title: `verifying ${a.type} until this time: the rule must stay clear and the task keep running`, tone: 'warn' };
    }
    return undefined;
  }
  if (a.verified) {
    return { at: i.resolvedAt ?? i.verifyUntil ?? a.finishedAt ?? a.issuedAt, kind: 'verify', title: `${a.type} held: the rule stayed clear and the task kept running through the verification window`, tone: 'ok' };
  }
  const at = next?.issuedAt ?? i.escalatedAt ?? i.updatedAt;
  return { at, kind: 'verify', title: `${a.type} did not hold: the rule fired again or the task was not running when the window ended`, tone: 'bad' };
}

function actionEntries(i: Incident, a: IncidentAction, next: IncidentAction | undefined, src: TimelineSources): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  const target = `${a.task ? `${a.task} on ` : ''}${a.node}`;
  if (a.origin === 'edge') {
    out.push(edgeActionEntry(a));
  } else if (!a.commandId) {
    out.push({ at: a.issuedAt, kind: 'withheld', title: `${actionText(a)} for ${target}`, ...(a.reason ? { detail: a.reason } : {}), tone: 'warn' });
  } else {
    const c = src.command(a.commandId);
    const by = c?.requestedBy ? ` (requested by ${c.requestedBy})` : '';
    out.push({ at: a.issuedAt, kind: 'command', title: `${a.type} sent to ${target}${by}`, detail: `command ${a.commandId}${c ? `, ${c.attempts} publish${c.attempts === 1 ? '' : 'es'}, status ${c.status}` : ''}${a.reason ? `: ${a.reason}` : ''}`, commandId: a.commandId, tone: 'info' });
    for (const ack of c?.acks ?? []) out.push(ackEntry(ack, a.type, a.commandId));
    if (c && (c.status === 'timeout' || (!c.acks.length && c.finishedAt !== undefined))) {
      out.push({ at: c.finishedAt ?? a.finishedAt ?? a.issuedAt, kind: 'ack', title: `${a.type} ${c.status}${c.reason ? `: ${c.reason}` : ''}`, commandId: a.commandId, tone: c.status === 'done' ? 'ok' : 'bad' });
    }
  }
  const v = verifyEntry(i, a, next);
  if (v) out.push(v);
  return out;
}

function deliveryEntry(d: DeliveryAttempt): TimelineEntry {
  const what = d.alertname ? `${d.alertname} ${d.status}` : d.status;
  const tone = d.outcome === 'delivered' ? 'ok' : d.outcome === 'retrying' ? 'warn' : 'bad';
  const outcome = d.outcome.replace('_', ' ');
  return { at: d.at, kind: 'delivery', title: `webhook ${d.webhook}: ${what} ${outcome} (attempt ${d.attempt})`, ...(d.detail ? { detail: d.detail } : {}), tone };
}

/**
 * The incident's life in time order: the evidence window, the rule firing, every step (command, acks,
 * verification, or why it was withheld), escalation and why, resolution, and the webhook attempts.
 */
export function incidentTimeline(i: Incident, src: TimelineSources): TimelineEntry[] {
  const out: TimelineEntry[] = [];
  if (i.evidence.logs.length) {
    out.push({ at: i.evidence.windowStart, kind: 'evidence', title: `${i.evidence.logs.length} log line${i.evidence.logs.length === 1 ? '' : 's'} of ${targetText(i.labels)} before onset (shown below)`, tone: 'muted' });
  }
  out.push({ at: i.startedAt, kind: 'onset', title: `${i.rule} fired for ${targetText(i.labels)}`, ...(i.annotations.summary ? { detail: i.annotations.summary } : {}), tone: 'bad' });
  i.actions.forEach((a, n) => out.push(...actionEntries(i, a, i.actions[n + 1], src)));
  out.push(...edgeTimelineEntries(i));
  if (i.escalatedAt !== undefined) out.push({ at: i.escalatedAt, kind: 'escalation', title: 'escalated to on-call: automatic remediation stopped', ...(i.escalation ? { detail: i.escalation } : {}), tone: 'bad' });
  if (i.resolvedAt !== undefined) out.push({ at: i.resolvedAt, kind: 'resolved', title: 'resolved', tone: 'ok' });
  for (const d of src.deliveries(i.id) ?? []) out.push(deliveryEntry(d));
  // stable: entries at the same instant keep the order they were made in (command before its ack)
  return out.map((e, n) => ({ e, n })).sort((a, b) => a.e.at - b.e.at || a.n - b.n).map(({ e }) => e);
}
