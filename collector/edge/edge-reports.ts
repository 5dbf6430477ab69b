import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import { edgeReportSchema, type EdgeIncident } from '../../protocol/edge-incident.js';
import type { RecordView } from '../api/record-view.js';
import type { NodeRegistry } from '../control/node-registry.js';
import { ESCALATION_ALERT, type IncidentBook } from '../incidents/incident-book.js';
import { fingerprintOf, isOpen, type Incident, type IncidentAction } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { AlertStateInput } from '../notify/alert-state.js';
import type { EdgeFence } from './edge-fence.js';

/** What handling a node's incident reports needs. */
export interface EdgeReportDeps {
  store: IncidentStore;
  book: IncidentBook;
  fence: EdgeFence;
  nodes: NodeRegistry;
  notify(alerts: AlertStateInput[]): void;
  newTraceId(): string;
  registry: Registry;
  logger: Logger;
}

/**
 * Incidents a node handled on its own, reported on `edgewatch/<node>/incidents` when its link returned.
 * Each becomes an incident with `origin: edge` (the node's timeline, actions and evidence, every time
 * corrected by the clock offset measured on the report), its claim fences this collector's action on the
 * same fault, and on-call gets its firing and resolved webhooks, marked `late="true"` when the rule fired
 * with the link down. The node is the one from the topic (its broker login), never from the payload.
 */
export class EdgeReports {
  private readonly counter: Counter<'result'>;
  /** Notifications that follow a firing sent in the same report: the notifier keeps only the last state of an alert per call. */
  private later: Array<{ at: number; alerts: AlertStateInput[] }> = [];

  constructor(private readonly deps: EdgeReportDeps) {
    this.counter = new Counter({ name: 'edgewatch_collector_edge_incidents_total', help: 'Edge incident revisions received from nodes, by result (accepted, stale: an older revision, rejected).', labelNames: ['result'], registers: [deps.registry] });
    for (const result of ['accepted', 'stale', 'rejected']) this.counter.inc({ result }, 0);
  }

  /** Sends the notifications held back behind their firing (the composition root calls it every second). */
  tick(now: number): void {
    if (this.later.length === 0) return;
    const due = this.later.filter((l) => l.at <= now);
    this.later = this.later.filter((l) => l.at > now);
    for (const l of due) this.deps.notify(l.alerts);
  }

  /** One message from `edgewatch/<node>/incidents`; false when it is invalid (counted and logged by the caller). */
  handle(node: string, payload: Buffer, now: number): boolean {
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
    } catch {
      json = undefined;
    }
    const parsed = edgeReportSchema.safeParse(json);
    if (!parsed.success || parsed.data.node !== node) {
      this.counter.inc({ result: 'rejected' });
      return false;
    }
    const report = parsed.data;
    // the edge clock minus ours: the report left at sentAt (edge) and took about half a round trip
    const offset = Math.round(report.sentAt + (report.linkLatencyMs ?? 0) / 2 - now);
    const n = this.deps.nodes.get(node);
    if (n) n.clockOffsetMs = offset;
    for (const e of report.incidents) this.take(node, e, offset, now);
    return true;
  }

  private take(node: string, e: EdgeIncident, offset: number, now: number): void {
    const existing = this.deps.store.get(e.id);
    if (existing && (existing.origin !== 'edge' || existing.labels.node !== node)) {
      this.counter.inc({ result: 'rejected' });
      this.deps.logger.warn('edge incident refused: its id belongs to another incident', { node, id: e.id });
      return;
    }
    if (existing && existing.edge && existing.edge.rev >= e.rev) {
      this.counter.inc({ result: 'stale' });
      return;
    }
    const i = this.incidentOf(node, e, offset, now, existing);
    const commandIds = e.actions.filter((a) => a.result === 'pending' || a.result === 'done' || a.result === 'failed').map((a) => a.commandId);
    this.deps.fence.claim({
      node,
      task: e.task,
      rule: e.rule,
      incidentId: i.id,
      commandIds,
      startedAt: i.startedAt,
      edgeStartedAt: e.startedAt,
      ...(i.resolvedAt !== undefined ? { resolvedAt: i.resolvedAt, edgeResolvedAt: e.resolvedAt ?? e.updatedAt } : {}),
    });
    // the same fault with a cloud action already under way: the cloud's incident wins, this one is the record
    const cloud = this.deps.book.openFor({ rule: i.rule, labels: i.labels } as Parameters<IncidentBook['openFor']>[0]);
    if (cloud && isOpen(cloud) && cloud.actions.some((a) => a.commandId && a.origin === undefined)) i.edge!.supersededBy = cloud.id;
    this.notify(i, now);
    this.deps.store.save(i);
    this.counter.inc({ result: 'accepted' });
    this.deps.logger.info('edge incident reported', { node, id: i.id, rule: i.rule, status: i.status, rev: e.rev, late: i.edge!.late, clockOffsetMs: offset });
  }

  private incidentOf(node: string, e: EdgeIncident, offset: number, now: number, existing: Incident | undefined): Incident {
    const fix = (t: number) => t - offset;
    const labels = { ...e.labels, node };
    const actions: IncidentAction[] = e.actions.map((a) => ({
      type: a.type,
      node,
      ...(e.task ? { task: e.task } : {}),
      ...(a.commandId ? { commandId: a.commandId } : {}),
      issuedAt: fix(a.issuedAt),
      result: a.result,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.finishedAt !== undefined ? { finishedAt: fix(a.finishedAt) } : {}),
      ...(a.verified !== undefined ? { verified: a.verified } : {}),
      ...(a.version ? { version: a.version } : {}),
      origin: 'edge' as const,
    }));
    const logs: RecordView[] = e.logs.map((l) => ({
      time: new Date(fix(l.ts)).toISOString(),
      timeUnixNano: `${fix(l.ts)}000000`,
      node,
      task: e.task ?? null,
      level: l.level,
      msg: l.msg,
      ...(l.status !== undefined ? { status: l.status } : {}),
      ...(l.duration_ms !== undefined ? { duration_ms: l.duration_ms } : {}),
      ...(l.trace_id ? { trace_id: l.trace_id } : {}),
    }));
    const startedAt = fix(e.startedAt);
    return {
      id: e.id,
      fingerprint: fingerprintOf(e.rule, labels),
      rule: e.rule,
      key: e.key,
      status: e.status,
      severity: e.severity,
      labels,
      annotations: e.annotations,
      startedAt,
      updatedAt: fix(e.updatedAt),
      ...(e.resolvedAt !== undefined ? { resolvedAt: fix(e.resolvedAt) } : {}),
      ...(e.status === 'escalated' ? { escalatedAt: fix(e.updatedAt), escalation: e.escalation ?? 'escalated at the edge' } : {}),
      ladder: ['restart', 'rollback'],
      step: Math.max(0, actions.length - 1),
      actions,
      traceId: e.traceIds.at(-1) ?? existing?.traceId ?? this.deps.newTraceId(),
      evidence: { traceIds: e.traceIds, logs, windowStart: logs.length > 0 ? fix(e.logs[0]!.ts) : startedAt, windowEnd: startedAt, ...(e.value !== undefined ? { value: e.value } : {}) },
      ruleFiring: e.status === 'firing' || e.status === 'remediating',
      origin: 'edge',
      edge: {
        rev: e.rev,
        late: e.offline,
        clockOffsetMs: offset,
        receivedAt: now,
        timeline: e.timeline.map((t) => ({ at: fix(t.at), edgeAt: t.at, what: t.what })),
        notified: { ...(existing?.edge?.notified ?? {}) },
        ...(existing?.edge?.supersededBy ? { supersededBy: existing.edge.supersededBy } : {}),
      },
    };
  }

  /**
   * Firing once, resolved once, and the escalation page once, each marked late when the link was down. A
   * node that reports an incident already over sends both at once: the firing goes now and the rest a
   * second later, so on-call sees the whole story (in one call the notifier would send only the last state).
   */
  private notify(i: Incident, now: number): void {
    const e = i.edge!;
    const late: Record<string, string> = e.late ? { late: 'true' } : {};
    const annotations = { ...i.annotations, trace_id: i.traceId, origin: 'edge', clock_offset_ms: String(e.clockOffsetMs) };
    const alert = (status: 'firing' | 'resolved'): AlertStateInput => ({
      incidentId: i.id,
      status,
      labels: { alertname: i.rule, severity: i.severity, ...i.labels, ...late },
      annotations,
      startsAt: i.startedAt,
      ...(status === 'resolved' ? { endsAt: i.resolvedAt ?? i.updatedAt } : {}),
    });
    const page = (status: 'firing' | 'resolved'): AlertStateInput => ({
      incidentId: i.id,
      status,
      labels: { alertname: ESCALATION_ALERT, rule: i.rule, severity: 'page', ...i.labels, ...late },
      annotations: { summary: `the edge could not fix ${i.rule} for ${i.labels.task ?? '?'} on ${i.labels.node}`, description: i.escalation ?? '', trace_id: i.traceId, origin: 'edge' },
      startsAt: i.escalatedAt ?? i.updatedAt,
      ...(status === 'resolved' ? { endsAt: i.resolvedAt ?? i.updatedAt } : {}),
    });
    const out: AlertStateInput[] = [];
    if (!e.notified.firing) {
      this.deps.notify([alert('firing')]);
      e.notified.firing = true;
    }
    if (i.status === 'escalated' && !e.notified.escalated) {
      out.push(page('firing'));
      e.notified.escalated = true;
    }
    if (i.status === 'resolved' && !e.notified.resolved) {
      out.push(alert('resolved'));
      if (e.notified.escalated) out.push(page('resolved'));
      e.notified.resolved = true;
    }
    if (out.length > 0) this.later.push({ at: now + 1000, alerts: out });
  }
}
