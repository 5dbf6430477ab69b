import { createHash } from 'node:crypto';
import type { RecordView } from '../api/record-view.js';
import type { ActionType } from '../../common/rules/signals.js';

/** firing → remediating → resolved, or escalated when the ladder runs out or remediation may not act. */
export type IncidentStatus = 'firing' | 'remediating' | 'resolved' | 'escalated';

/** Outcomes of one remediation step (bounded: a metric label). */
export const ACTION_RESULTS = ['pending', 'done', 'failed', 'rejected', 'timeout', 'dry_run', 'cooldown', 'rate_limited', 'breaker_open', 'no_target', 'fenced'] as const;
export type ActionResult = (typeof ACTION_RESULTS)[number];

/** One remediation step taken (or withheld) for an incident: the audit trail. */
export interface IncidentAction {
  type: Exclude<ActionType, 'none'> | 'release';
  node: string;
  task?: string;
  /** For a migration: where the task went. */
  target?: string;
  commandId?: string;
  issuedAt: number;
  result: ActionResult;
  reason?: string;
  finishedAt?: number;
  /** Set when the verification window after the step ended: did the rule clear and the task come back healthy? */
  verified?: boolean;
  /** `edge`: the node took this step on its own (times corrected to the collector's clock). */
  origin?: 'edge';
  /** For an edge rollback: the version it went back to. */
  version?: string;
}

/** What an incident handled at the edge carries besides the common fields. */
export interface EdgeRecord {
  /** The newest revision the node reported. */
  rev: number;
  /** The rule fired while the node's link was down: its webhooks are marked `late="true"`. */
  late: boolean;
  /** Edge clock minus this clock, ms, measured on the report; every edge time shown is corrected by it. */
  clockOffsetMs: number;
  receivedAt: number;
  timeline: Array<{ at: number; edgeAt: number; what: string }>;
  /** Webhooks sent for it so far. */
  notified: { firing?: boolean; resolved?: boolean; escalated?: boolean };
  /** A cloud incident for the same fault whose action was under way first (it wins; this one is the record). */
  supersededBy?: string;
}

/** What an incident carries for whoever looks at it: recent logs of the affected node/task, sample trace ids. */
export interface Evidence {
  value?: number;
  traceIds: string[];
  logs: RecordView[];
  windowStart: number;
  windowEnd: number;
}

/** A rule firing for one node/task, with everything done about it. */
export interface Incident {
  id: string;
  fingerprint: string;
  rule: string;
  /** The rule engine's key (rule plus `by:` labels). */
  key: string;
  status: IncidentStatus;
  severity: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startedAt: number;
  updatedAt: number;
  resolvedAt?: number;
  escalatedAt?: number;
  escalation?: string;
  ladder: ActionType[];
  /** Index into the ladder of the current (or next) step. */
  step: number;
  actions: IncidentAction[];
  /** The trace commands of this incident join: a failing request's trace id when there is one. */
  traceId: string;
  /** The rule-firing span (W3C traceparent) the incident's commands descend from. */
  traceparent?: string;
  evidence: Evidence;
  /** Whether the rule is firing now (it may have cleared while a step is being verified). */
  ruleFiring: boolean;
  /** End of the verification window of the last step, epoch ms. */
  verifyUntil?: number;
  /** When a rate-limited step may be tried again. */
  retryAt?: number;
  /** Who handled it: the collector (absent) or a node on its own, reported when its link returned. */
  origin?: 'cloud' | 'edge';
  edge?: EdgeRecord;
}

/** The incident identity of a rule and its key labels: 16 hex digits, like an Alertmanager fingerprint. */
export function fingerprintOf(rule: string, labels: Record<string, string>): string {
  const body = [rule, ...Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`)].join('\u0000');
  return createHash('sha256').update(body).digest('hex').slice(0, 16);
}

/** Whether an incident is still open (not resolved or escalated). */
export function isOpen(i: Incident): boolean {
  return i.status === 'firing' || i.status === 'remediating';
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/** The API's view of an incident (DESIGN.md: GET /api/incidents). */
export function incidentView(i: Incident) {
  return {
    id: i.id,
    rule: i.rule,
    status: i.status,
    severity: i.severity,
    labels: i.labels,
    annotations: i.annotations,
    startedAt: iso(i.startedAt),
    resolvedAt: iso(i.resolvedAt),
    escalatedAt: iso(i.escalatedAt),
    escalation: i.escalation ?? null,
    ruleFiring: i.ruleFiring,
    traceId: i.traceId,
    origin: i.origin ?? 'cloud',
    actions: i.actions.map((a) => ({ ...a, issuedAt: iso(a.issuedAt), finishedAt: iso(a.finishedAt) })),
    evidence: { ...i.evidence, windowStart: iso(i.evidence.windowStart), windowEnd: iso(i.evidence.windowEnd) },
    ...(i.edge ? { edge: edgeView(i.edge) } : {}),
  };
}

/** An edge incident's own part of the view: lateness, the clock correction, and the node's timeline. */
function edgeView(e: EdgeRecord) {
  return {
    late: e.late,
    rev: e.rev,
    receivedAt: iso(e.receivedAt),
    clock: { offsetMs: e.clockOffsetMs, corrected: true },
    ...(e.supersededBy ? { supersededBy: e.supersededBy } : {}),
    timeline: e.timeline.map((t) => ({ at: iso(t.at), edgeAt: iso(t.edgeAt), what: t.what })),
  };
}
