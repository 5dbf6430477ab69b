import { Router } from 'express';
import { z } from 'zod';
import { formatIssues } from '../../common/config.js';
import { NAME_PATTERN } from '../../protocol/log-record.js';
import { parseTaskSpec, type TaskSpec } from '../../protocol/task-spec.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { DesiredSpec, DesiredSpecs } from '../desired/desired-specs.js';
import { clientOf, principalOf, refuse, type ApiAccess } from './access.js';
import { readJsonObject } from './json-body.js';

const SPEC_BODY_BYTES = 256 * 1024;
/** Most specs one GET /api/specs page may hold. */
export const MAX_SPECS_PAGE = 2000;

const specsQuery = z.strictObject({
  node: z.string().regex(NAME_PATTERN, 'must be a node name').optional(),
  limit: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(1).max(MAX_SPECS_PAGE)).default(500),
  /** The previous page's `next`: `node/task`. */
  after: z
    .string()
    .regex(/^[^/]+\/[^/]+$/, 'must be node/task, the previous page\'s next')
    .transform((v) => ({ node: v.slice(0, v.indexOf('/')), task: v.slice(v.indexOf('/') + 1) }))
    .optional(),
});

/** A desired spec as the API shows it: env names with literal values redacted (file references kept). */
function specView(d: DesiredSpec) {
  const env = Object.fromEntries(Object.entries(d.spec.env).map(([k, v]) => [k, typeof v === 'string' ? { redacted: true } : v]));
  return { node: d.node, task: d.task, version: d.version, source: d.source, updatedAt: new Date(d.updatedAt).toISOString(), spec: { ...d.spec, env } };
}

/**
 * The fleet's desired state: GET /api/specs (viewer), PUT and DELETE /api/specs/{node}/{task} (admin). What
 * is recorded here is what migration may run on another node; a node's own report never is.
 */
export function specRoutes(desired: DesiredSpecs, access: ApiAccess, audit: AuditLog): Router {
  const router = Router();
  router.get('/api/specs', (req, res) => {
    const parsed = specsQuery.safeParse(req.query);
    if (!parsed.success) return refuse(res, 400, 'bad_request', formatIssues(parsed.error).join('; '));
    const q = parsed.data;
    const page = desired.page(q.limit, q.after, q.node);
    res.json({ specs: page.specs.map(specView), next: page.next && `${page.next.node}/${page.next.task}` });
  });
  router.put('/api/specs/:node/:task', async (req, res, next) => {
    if (!access.allowed(res, 'admin', 'PUT /api/specs')) return;
    const { node, task } = req.params;
    if (!NAME_PATTERN.test(node) || !NAME_PATTERN.test(task)) return refuse(res, 400, 'bad_request', 'node and task must be names (lowercase letters, digits, - and _)');
    let body: Record<string, unknown>;
    try {
      body = await readJsonObject(req, SPEC_BODY_BYTES);
    } catch (err) {
      return next(err);
    }
    const parsed = parseTaskSpec({ name: task, ...body });
    if (!parsed.ok) return refuse(res, 400, 'bad_request', parsed.error);
    const spec: TaskSpec = parsed.spec;
    if (spec.name !== task) return refuse(res, 400, 'bad_request', `spec.name "${spec.name}" does not match the path's task "${task}"`);
    desired.set(node, spec, 'api');
    const who = principalOf(res);
    audit.record({ who: who.name, role: who.role, source: clientOf(req), action: 'spec.put', target: `${node}/${task}`, outcome: 'done', detail: { version: spec.version } });
    res.json(specView(desired.get(node, task)!));
  });
  router.delete('/api/specs/:node/:task', (req, res) => {
    if (!access.allowed(res, 'admin', 'DELETE /api/specs')) return;
    const { node, task } = req.params;
    const who = principalOf(res);
    const removed = desired.delete(node, task);
    audit.record({ who: who.name, role: who.role, source: clientOf(req), action: 'spec.delete', target: `${node}/${task}`, outcome: removed ? 'done' : 'not_found' });
    if (!removed) return refuse(res, 404, 'not_found', `no desired spec for ${task} on ${node}`);
    res.status(204).end();
  });
  return router;
}
