import { Router, type Response } from 'express';
import { z } from 'zod';
import { formatIssues } from '../../common/config.js';
import type { IncidentBook } from '../incidents/incident-book.js';
import { incidentView, type Incident } from '../incidents/incident.js';
import type { IncidentStore } from '../incidents/incident-store.js';

const listQuery = z.strictObject({
  status: z.enum(['firing', 'remediating', 'resolved', 'escalated']).optional(),
  limit: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().min(1).max(1000)).default(100),
});

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/** GET /api/incidents (unresolved first, then the newest ended ones) and GET /api/incidents/{id}. */
export function incidentRoutes(book: IncidentBook, store: IncidentStore): Router {
  const router = Router();
  router.get('/api/incidents', (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) return send(res, 400, { error: 'bad_request', message: formatIssues(parsed.error).join('; ') });
    const { status, limit } = parsed.data;
    const live = book.unresolved().filter((i) => !status || i.status === status);
    const seen = new Set(live.map((i) => i.id));
    const ended = store.list(limit, status).filter((i) => !seen.has(i.id));
    const incidents: Incident[] = [...live.sort((a, b) => b.startedAt - a.startedAt), ...ended].slice(0, limit);
    send(res, 200, { incidents: incidents.map(incidentView) });
  });
  router.get('/api/incidents/:id', (req, res) => {
    const i = book.get(req.params.id);
    if (!i) return send(res, 404, { error: 'not_found', message: `no incident ${req.params.id}` });
    send(res, 200, incidentView(i));
  });
  return router;
}
