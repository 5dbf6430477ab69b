import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import type { AlertStateInput } from '../notify/alert-state.js';
import type { RuleTransition } from '../rules/signals.js';
import { fingerprintOf, isOpen, type Evidence, type Incident } from './incident.js';
import type { IncidentStore } from './incident-store.js';

/** What the book needs: persistence, evidence lookup, notifications, ids. */
export interface IncidentBookDeps {
  store: IncidentStore;
  evidence(labels: Record<string, string>, startedAt: number, traceIds: string[], value: number | undefined): Evidence;
  notify(alerts: AlertStateInput[]): void;
  newId(): string;
  newTraceId(): string;
  /** Records the rule firing as a span in the incident's trace; returns its traceparent. */
  fireSpan?(t: RuleTransition, traceId: string): string | undefined;
  registry: Registry;
  logger: Logger;
}

/** Alert name of the page sent when remediation gives up on an incident. */
export const ESCALATION_ALERT = 'EdgewatchRemediationEscalated';

/**
 * The incidents: one unresolved incident per fingerprint (rule + key labels; firing, remediating or
 * escalated), persisted on every change and announced to the webhooks (firing, resolved, and a separate
 * page on escalation). An escalated incident stays until its rule clears, so the page ends with it.
 */
export class IncidentBook {
  /** Unresolved incidents by fingerprint. */
  private readonly open = new Map<string, Incident>();
  private readonly total: Counter<'rule' | 'outcome'>;

  constructor(private readonly deps: IncidentBookDeps) {
    for (const i of deps.store.loadOpen()) this.open.set(i.fingerprint, i);
    const book = this;
    new Gauge({
      name: 'edgewatch_collector_incidents',
      help: 'Unresolved incidents by status (firing, remediating, escalated).',
      labelNames: ['status'],
      registers: [deps.registry],
      collect() {
        const counts: Record<string, number> = { firing: 0, remediating: 0, escalated: 0 };
        for (const i of book.open.values()) counts[i.status] = (counts[i.status] ?? 0) + 1;
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    this.total = new Counter({ name: 'edgewatch_collector_incidents_total', help: 'Incidents ended, by rule and outcome (resolved, escalated).', labelNames: ['rule', 'outcome'], registers: [deps.registry] });
  }

  /** Unresolved incidents, oldest first. */
  unresolved(): Incident[] {
    return [...this.open.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  openFor(t: RuleTransition): Incident | undefined {
    return this.open.get(fingerprintOf(t.rule, t.labels));
  }

  /** Opens an incident for a firing transition, gathering its evidence. */
  create(t: RuleTransition, now: number): Incident {
    const traceIds = t.traceIds ?? [];
    const i: Incident = {
      id: this.deps.newId(),
      fingerprint: fingerprintOf(t.rule, t.labels),
      rule: t.rule,
      key: t.key,
      status: 'firing',
      severity: t.severity,
      labels: t.labels,
      annotations: t.annotations,
      startedAt: now,
      updatedAt: now,
      ladder: ladderFrom(t),
      step: 0,
      actions: [],
      traceId: traceIds.at(-1) ?? this.deps.newTraceId(),
      evidence: this.deps.evidence(t.labels, now, traceIds, t.value),
      ruleFiring: true,
    };
    const traceparent = this.deps.fireSpan?.(t, i.traceId);
    if (traceparent) i.traceparent = traceparent;
    this.open.set(i.fingerprint, i);
    this.save(i);
    this.deps.logger.warn('incident opened', { id: i.id, rule: i.rule, labels: i.labels, value: t.value });
    this.deps.notify([this.alert(i, 'firing')]);
    return i;
  }

  /** Persists a change. */
  save(i: Incident): void {
    this.deps.store.save(i);
  }

  resolve(i: Incident, now: number, why: string): void {
    if (i.status === 'resolved') return;
    const wasEscalated = i.status === 'escalated';
    i.status = 'resolved';
    i.resolvedAt = now;
    i.updatedAt = now;
    this.open.delete(i.fingerprint);
    this.save(i);
    this.total.inc({ rule: i.rule, outcome: 'resolved' });
    this.deps.logger.info('incident resolved', { id: i.id, rule: i.rule, labels: i.labels, why });
    const alerts = [this.alert(i, 'resolved')];
    if (wasEscalated) alerts.push(this.escalationAlert(i, 'resolved'));
    this.deps.notify(alerts);
  }

  /** Gives up on automatic remediation: pages a human (a separate alert) and keeps the incident until it clears. */
  escalate(i: Incident, now: number, why: string): void {
    if (!isOpen(i)) return;
    i.status = 'escalated';
    i.escalatedAt = now;
    i.escalation = why;
    i.updatedAt = now;
    this.save(i);
    this.total.inc({ rule: i.rule, outcome: 'escalated' });
    this.deps.logger.warn('incident escalated', { id: i.id, rule: i.rule, labels: i.labels, why });
    this.deps.notify([this.escalationAlert(i, 'firing')]);
  }

  get(id: string): Incident | undefined {
    for (const i of this.open.values()) if (i.id === id) return i;
    return this.deps.store.get(id);
  }

  private alert(i: Incident, status: 'firing' | 'resolved'): AlertStateInput {
    const a: AlertStateInput = {
      incidentId: i.id,
      status,
      labels: { alertname: i.rule, severity: i.severity, ...i.labels },
      annotations: { ...i.annotations, trace_id: i.traceId },
      startsAt: i.startedAt,
    };
    if (status === 'resolved') a.endsAt = i.resolvedAt ?? i.updatedAt;
    return a;
  }

  private escalationAlert(i: Incident, status: 'firing' | 'resolved'): AlertStateInput {
    const a: AlertStateInput = {
      incidentId: i.id,
      status,
      labels: { alertname: ESCALATION_ALERT, rule: i.rule, severity: 'page', ...i.labels },
      annotations: { summary: `automatic remediation gave up on ${i.rule} for ${describe(i.labels)}`, description: i.escalation ?? '', trace_id: i.traceId },
      startsAt: i.escalatedAt ?? i.updatedAt,
    };
    if (status === 'resolved') a.endsAt = i.resolvedAt ?? i.updatedAt;
    return a;
  }
}

function describe(labels: Record<string, string>): string {
  return labels.task ? `${labels.task} on ${labels.node ?? '?'}` : (labels.node ?? JSON.stringify(labels));
}

/** The steps to climb: from the rule's action along its ladder (ending with a page). */
function ladderFrom(t: RuleTransition): Incident['ladder'] {
  if (t.action === 'none') return [];
  const start = t.ladder.indexOf(t.action);
  const ladder = start >= 0 ? t.ladder.slice(start) : [t.action, ...t.ladder];
  return ladder.at(-1) === 'page' ? ladder : [...ladder, 'page'];
}
