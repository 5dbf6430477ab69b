import type { Logger } from '../../common/logger.js';
import { TokenBucket } from '../../common/token-bucket.js';
import type { AlertStateInput } from '../notify/alert-state.js';
import type { RuleTransition } from '../../common/rules/signals.js';
import { fingerprintOf, isOpen, type Evidence, type Incident } from './incident.js';
import type { IncidentMetrics } from './incident-metrics.js';
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
  /** Told of every incident opened (the composition root records the firing in the incident's trace). */
  opened?(i: Incident): void;
  metrics?: IncidentMetrics;
  logger: Logger;
  /** New incidents opened per minute at most (and at once); beyond it a firing rule opens none. */
  maxNewPerMinute?: number;
  /** Epoch ms, for the new-incident limit. */
  now?(): number;
}

/**
 * What a rule transition did to the incidents: opened one, fired again for an open one, or cleared for
 * an open one. Remediation decides what follows.
 */
export interface IncidentChange {
  kind: 'opened' | 'refired' | 'cleared';
  incident: Incident;
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

  private readonly newIncidents: TokenBucket | undefined;
  private suppressedSince = 0;

  constructor(private readonly deps: IncidentBookDeps) {
    // incidents handled at the edge are the node's record, never remediated here
    for (const i of deps.store.loadOpen()) if (i.origin !== 'edge') this.open.set(i.fingerprint, i);
    if (deps.maxNewPerMinute !== undefined) this.newIncidents = new TokenBucket(deps.maxNewPerMinute / 60, deps.maxNewPerMinute, deps.now?.() ?? 0);
  }

  /**
   * Reads the unresolved incidents from the store again, replacing what is in memory: a replica taking
   * over carries on the incidents the previous leader opened (same ids, same steps taken).
   */
  reload(): void {
    this.open.clear();
    for (const i of this.deps.store.loadOpen()) this.open.set(i.fingerprint, i);
  }

  /** Unresolved incidents in no particular order (cheap: for metrics at scrape time). */
  openIncidents(): Iterable<Incident> {
    return this.open.values();
  }

  /**
   * Applies a rule transition: a firing one opens an incident (or marks the open one as firing again), a
   * resolved one marks the open one as clear. Undefined when a resolved transition has no open incident.
   */
  track(t: RuleTransition, now: number): IncidentChange | undefined {
    const existing = this.openFor(t);
    if (!existing) {
      if (t.status !== 'firing') return undefined;
      if (this.newIncidents && !this.newIncidents.take(now)) return this.suppress(t, now);
      return { kind: 'opened', incident: this.create(t, now) };
    }
    existing.ruleFiring = t.status === 'firing';
    existing.updatedAt = now;
    return { kind: t.status === 'firing' ? 'refired' : 'cleared', incident: existing };
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
    this.deps.opened?.(i);
    this.deps.logger.warn('incident opened', { id: i.id, rule: i.rule, labels: i.labels, value: t.value });
    this.deps.notify([this.alert(i, 'firing')]);
    return i;
  }

  /** Past the new-incident limit (a flood of alerts): counted, logged once a minute, no incident. */
  private suppress(t: RuleTransition, now: number): undefined {
    this.deps.metrics?.suppressed(t.rule);
    if (now - this.suppressedSince >= 60_000) {
      this.suppressedSince = now;
      this.deps.logger.warn('new incidents over the limit (remediation.maxNewIncidentsPerMinute): not opened', { rule: t.rule, labels: t.labels });
    }
    return undefined;
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
    this.deps.metrics?.ended(i.rule, 'resolved');
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
    this.deps.metrics?.ended(i.rule, 'escalated');
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
