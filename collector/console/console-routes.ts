import { Router, type Request, type RequestHandler, type Response } from 'express';
import { formatIssues } from '../../common/config.js';
import type { Rule } from '../../common/rules/rule-schema.js';
import { NAME_PATTERN } from '../../protocol/log-record.js';
import { recordView } from '../api/record-view.js';
import { traceIdParam } from '../api/query-schemas.js';
import { MAX_TRACE_RECORDS } from '../api/query-routes.js';
import type { CommandRecord } from '../control/command-dispatcher.js';
import type { NodeRegistry } from '../control/node-registry.js';
import type { IncidentBook } from '../incidents/incident-book.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { DeliveryJournal } from '../notify/delivery-journal.js';
import type { EventStore } from '../store/event-store.js';
import { pageContext, signinRoutes, type SigninDeps } from './console-signin.js';
import { incidentPage } from './incident-page.js';
import { incidentsPage, incidentsQuery } from './incidents-page.js';
import { messagePage, sendPage, type PageContext } from './layout.js';
import { nodesPage } from './nodes-page.js';
import { TASK_LOG_LINES, taskPage } from './task-page.js';
import { tracePage } from './trace-page.js';

/** What the console reads: the same sources as the API. */
export interface ConsoleSources {
  book: IncidentBook;
  incidents: IncidentStore;
  store: EventStore;
  nodes: NodeRegistry;
  command(id: string): CommandRecord | undefined;
  deliveries: DeliveryJournal;
  rules: readonly Rule[];
  /** Grafana's base URL (`console.grafanaUrl`), for the task dashboard links. */
  grafanaUrl?: string;
}

type PageHandler = (req: Request, res: Response, ctx: PageContext) => void;

/**
 * The console's pages, server-rendered from the collector's own state: `/` and `/incidents`,
 * `/incidents/{id}`, `/traces/{id}`, `/nodes`, `/nodes/{node}/tasks/{task}`, plus sign-in. Every page
 * needs a signed-in viewer (or the open loopback API); commands go through POST /api/commands.
 */
export function consoleRoutes(src: ConsoleSources, auth: SigninDeps): Router {
  const router = Router();
  const rules = new Map(src.rules.map((r) => [r.name, r]));
  const page = (handler: PageHandler): RequestHandler => async (req, res, next) => {
    try {
      const ctx = await pageContext(req, res, auth);
      if (ctx) handler(req, res, ctx);
    } catch (err) {
      next(err);
    }
  };
  const problem = (res: Response, ctx: PageContext, status: number, title: string, message: string, back = { href: '/incidents', label: 'Incidents' }) =>
    sendPage(res, messagePage(ctx, title, message, back), status);

  router.use(signinRoutes(auth));
  const list: PageHandler = (req, res, ctx) => {
    const q = incidentsQuery.safeParse(req.query);
    if (!q.success) return problem(res, ctx, 400, 'Bad query', formatIssues(q.error).join('; '));
    sendPage(res, incidentsPage(ctx, { unresolved: () => [...src.book.unresolved(), ...src.incidents.loadOpen().filter((i) => i.origin === 'edge')], resolved: (l, o) => src.incidents.resolved(l, o), counts: () => src.incidents.counts() }, q.data));
  };
  router.get('/', page(list));
  router.get('/incidents', page(list));
  router.get('/incidents/:id', page((req, res, ctx) => {
    const id = String(req.params.id);
    const i = id.length <= 256 ? src.book.get(id) : undefined;
    if (!i) return problem(res, ctx, 404, 'No such incident', `No incident ${id} is kept (the list has the ones there are).`);
    sendPage(res, incidentPage(ctx, i, { command: src.command, deliveries: (n) => src.deliveries.forIncident(n), rule: (n) => rules.get(n), ...(src.grafanaUrl ? { grafanaUrl: src.grafanaUrl } : {}) }));
  }));
  router.get('/traces/:traceId', page((req, res, ctx) => {
    const raw = String(req.params.traceId);
    const traceId = traceIdParam(raw);
    if (!traceId) return problem(res, ctx, 400, 'Not a trace id', `A trace id is 32 hex characters, not all zero (W3C trace context); got ${JSON.stringify(raw.slice(0, 100))}.`);
    const events = src.store.trace(traceId, MAX_TRACE_RECORDS);
    sendPage(res, tracePage(ctx, traceId, events.map(recordView), events.length >= MAX_TRACE_RECORDS));
  }));
  router.get('/nodes', page((_req, res, ctx) => {
    sendPage(res, nodesPage(ctx, src.nodes.list().map((state) => ({ state, diagnosis: src.nodes.diagnosis(state) }))));
  }));
  router.get('/nodes/:node/tasks/:task', page((req, res, ctx) => {
    const { node, task } = req.params as { node: string; task: string };
    if (!NAME_PATTERN.test(node) || !NAME_PATTERN.test(task)) return problem(res, ctx, 400, 'Not a node or task name', 'Node and task names are lowercase letters, digits, "-" and "_", up to 63 characters.', { href: '/nodes', label: 'Nodes' });
    const status = src.nodes.get(node)?.tasks.get(task);
    const logs = src.store.logs({ node, task, limit: TASK_LOG_LINES }).map(recordView);
    sendPage(res, taskPage(ctx, { node, task, logs, ...(status ? { status } : {}), ...(src.grafanaUrl ? { grafanaUrl: src.grafanaUrl } : {}) }));
  }));
  return router;
}
