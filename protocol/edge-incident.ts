import { z } from 'zod';
import { NAME_PATTERN } from './log-record.js';

const time = z.number().int().nonnegative();
const text = (max: number) => z.string().max(max);

/** What an exporter did about a local incident (edge clock). `fenced`: left to a cloud command under way. */
export const EDGE_ACTION_RESULTS = ['pending', 'done', 'failed', 'dry_run', 'cooldown', 'rate_limited', 'breaker_open', 'fenced'] as const;
export type EdgeActionResult = (typeof EDGE_ACTION_RESULTS)[number];

/** One local remediation step: the local part of the ladder is restart, then rollback. */
export const edgeActionSchema = z.strictObject({
  type: z.enum(['restart', 'rollback']),
  /** The local command's id (`edge-...`): the claim the cloud fences its own action with. */
  commandId: text(64),
  issuedAt: time,
  finishedAt: time.optional(),
  result: z.enum(EDGE_ACTION_RESULTS),
  reason: text(1024).optional(),
  version: text(128).optional(),
  verified: z.boolean().optional(),
});
export type EdgeAction = z.output<typeof edgeActionSchema>;

/** One line of an edge incident's timeline (edge clock). */
export const edgeTimelineEntrySchema = z.strictObject({ at: time, what: text(512) });
export type EdgeTimelineEntry = z.output<typeof edgeTimelineEntrySchema>;

/** A log line the edge kept as evidence (the task's last lines before the rule fired). */
export const edgeLogSchema = z.strictObject({
  ts: time,
  level: text(16),
  msg: text(2048),
  status: z.number().int().optional(),
  duration_ms: z.number().optional(),
  trace_id: text(64).optional(),
});
export type EdgeLog = z.output<typeof edgeLogSchema>;

/** A rule that fired on a node and what the node did about it, as it stands at revision `rev`. */
export const edgeIncidentSchema = z.strictObject({
  id: z.string().regex(/^[0-9a-f-]{8,64}$/),
  /** Grows with every change, so the cloud keeps the newest and drops a re-sent older one. */
  rev: z.number().int().nonnegative(),
  rule: z.string().min(1).max(128),
  key: text(512),
  task: z.string().regex(NAME_PATTERN).optional(),
  status: z.enum(['firing', 'remediating', 'resolved', 'escalated']),
  severity: text(64),
  labels: z.record(z.string().max(128), text(512)),
  annotations: z.record(z.string().max(128), text(4096)),
  startedAt: time,
  updatedAt: time,
  resolvedAt: time.optional(),
  escalation: text(1024).optional(),
  /** Whether the link to the collector was down when the rule fired (the cloud marks its webhooks late). */
  offline: z.boolean(),
  value: z.number().optional(),
  traceIds: z.array(text(64)).max(5),
  actions: z.array(edgeActionSchema).max(20),
  timeline: z.array(edgeTimelineEntrySchema).max(100),
  logs: z.array(edgeLogSchema).max(50),
});
export type EdgeIncident = z.output<typeof edgeIncidentSchema>;

/**
 * A batch of edge incidents on `edgewatch/<node>/incidents`. `sentAt` (edge clock) and the link's round
 * trip let the cloud measure the edge clock's offset on this very message and correct the incident times.
 */
export const edgeReportSchema = z.strictObject({
  node: z.string().regex(NAME_PATTERN),
  sentAt: time,
  linkLatencyMs: z.number().nonnegative().optional(),
  incidents: z.array(edgeIncidentSchema).min(1).max(100),
});
export type EdgeReport = z.output<typeof edgeReportSchema>;
