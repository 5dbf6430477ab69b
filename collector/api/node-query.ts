import { z } from 'zod';
import type { NodeState } from '../control/node-registry.js';

/** Most nodes one GET /api/nodes page may hold. */
export const MAX_NODES_PAGE = 2000;

/** Query parameters of GET /api/nodes: filters, a page size and a cursor (the last node name of the previous page). */
export const nodesQuerySchema = z.strictObject({
  status: z.enum(['online', 'offline', 'unknown']).optional(),
  /** `key=value`: nodes carrying that label. */
  label: z.string().regex(/^[^=]+=.*$/, 'must be key=value').optional(),
  /** Nodes whose name starts with this. */
  prefix: z.string().max(63).optional(),
  name: z.string().max(63).optional(),
  limit: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(1).max(MAX_NODES_PAGE)).default(500),
  after: z.string().max(63).optional(),
});
export type NodesQuery = z.output<typeof nodesQuerySchema>;

/** Counts of nodes by status, for the summary every page carries. */
export interface NodeSummary {
  total: number;
  online: number;
  offline: number;
  unknown: number;
}

/**
 * One page of nodes in name order, after the filters, with the fleet's summary. Pages are cursors (the
 * last name of the previous page), so a fleet of thousands is never serialised in one answer.
 */
export function nodePage(all: Iterable<NodeState>, q: NodesQuery): { nodes: NodeState[]; summary: NodeSummary; next: string | null } {
  const summary: NodeSummary = { total: 0, online: 0, offline: 0, unknown: 0 };
  const [labelKey, labelValue] = q.label ? [q.label.slice(0, q.label.indexOf('=')), q.label.slice(q.label.indexOf('=') + 1)] : [];
  const matched: NodeState[] = [];
  for (const n of all) {
    summary.total++;
    summary[n.status]++;
    if (q.status && n.status !== q.status) continue;
    if (q.name !== undefined && n.node !== q.name) continue;
    if (q.prefix !== undefined && !n.node.startsWith(q.prefix)) continue;
    if (labelKey !== undefined && n.labels[labelKey] !== labelValue) continue;
    if (q.after !== undefined && n.node <= q.after) continue;
    matched.push(n);
  }
  matched.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  const nodes = matched.slice(0, q.limit);
  return { nodes, summary, next: matched.length > q.limit ? nodes.at(-1)!.node : null };
}
