import { Router, type Response } from 'express';
import type { Clock } from '../../common/clock.js';
import { formatIssues } from '../../common/config.js';
import type { EventStore } from '../store/event-store.js';
import { logsQuerySchema, traceIdParam } from './query-schemas.js';
import { jsonSafe, recordView } from './record-view.js';

/** Most records one trace lookup returns. */
export const MAX_TRACE_RECORDS = 10_000;

function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body, jsonSafe));
}

function badRequest(res: Response, message: string): void {
  sendJson(res, 400, { error: 'bad_request', message });
}

/** GET /api/traces/{traceId} and GET /api/logs over the correlation store. */
export function queryRoutes(store: EventStore, clock: Clock): Router {
  const router = Router();
  router.get('/api/traces/:traceId', (req, res) => {
    const traceId = traceIdParam(req.params.traceId);
    if (!traceId) return badRequest(res, `traceId must be a W3C trace id (32 hex characters, not all zero), got ${JSON.stringify(req.params.traceId)}`);
    const records = store.trace(traceId, MAX_TRACE_RECORDS).map(recordView);
    sendJson(res, 200, { traceId, records });
  });
  router.get('/api/logs', (req, res) => {
    const parsed = logsQuerySchema(clock.now()).safeParse(req.query);
    if (!parsed.success) return badRequest(res, formatIssues(parsed.error).join('; '));
    const q = parsed.data;
    const records = store
      .logs({ node: q.node, task: q.task, sinceMs: q.since, untilMs: q.until, levels: q.level, limit: q.limit })
      .map(recordView);
    sendJson(res, 200, { records });
  });
  return router;
}
