import { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { formatIssues } from '../../common/config.js';
import type { AuditLog } from '../audit/audit-log.js';
import { refuse, type ApiAccess } from './access.js';
import { instant } from './query-schemas.js';

const auditQuery = (now: number) =>
  z.strictObject({
    since: instant(now),
    who: z.string().min(1).max(128).optional(),
    action: z.string().regex(/^[a-z.]+$/, 'must be an action like command.restart or login.failed').optional(),
    limit: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(1).max(1000)).default(100),
  });

/** GET /api/audit (admin): who did what, when, from where, and how it ended; newest first. */
export function auditRoutes(audit: AuditLog, access: ApiAccess, clock: Clock): Router {
  const router = Router();
  router.get('/api/audit', access.require('admin', 'GET /api/audit'), (req, res) => {
    const parsed = auditQuery(clock.now()).safeParse(req.query);
    if (!parsed.success) return refuse(res, 400, 'bad_request', formatIssues(parsed.error).join('; '));
    const q = parsed.data;
    const entries = audit.list({ limit: q.limit, ...(q.since !== undefined ? { sinceMs: q.since } : {}), ...(q.who ? { who: q.who } : {}), ...(q.action ? { action: q.action } : {}) });
    res.json({ entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })) });
  });
  return router;
}
