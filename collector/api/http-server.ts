import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { HostPort } from '../../common/config.js';
import { closeHttp, listenHttp, operationalRoutes } from '../../common/adapters/http-service.js';
import type { Logger } from '../../common/logger.js';
import type { TlsMaterial } from '../auth/web-config.js';
import { refuse, type ApiAccess } from './access.js';
import { BodyRefusal } from './json-body.js';

/** The API's index (GET /api/): every route, what it answers, and the role it needs. */
export const API_INDEX = [
  { path: '/api/incidents', method: 'GET', role: 'viewer', what: 'incidents, unresolved first (?status=&limit=)' },
  { path: '/api/incidents/{id}', method: 'GET', role: 'viewer', what: 'one incident with its actions and evidence' },
  { path: '/api/nodes', method: 'GET', role: 'viewer', what: 'edge nodes: status and why, load, tasks (env values redacted)' },
  { path: '/api/commands', method: 'POST', role: 'operator', what: 'a signed command {node, task, type}; apply and release need admin' },
  { path: '/api/commands/{id}', method: 'GET', role: 'viewer', what: 'a command and its acks' },
  { path: '/api/traces/{traceId}', method: 'GET', role: 'viewer', what: 'every record of a trace, in time order' },
  { path: '/api/logs', method: 'GET', role: 'viewer', what: 'records by node, task, time and level (?node=&task=&since=&until=&level=&limit=)' },
  { path: '/api/alertmanager', method: 'POST', role: 'alertmanager', what: 'Alertmanager v4 webhook in' },
  { path: '/api/cluster', method: 'GET', role: 'viewer', what: 'collector replicas, which one leads, and the lease epoch' },
  { path: '/api/audit', method: 'GET', role: 'admin', what: 'who did what, when, from where, and how it ended' },
  { path: '/api/specs', method: 'GET', role: 'viewer', what: 'the desired task specs per node (?node=), env values redacted' },
  { path: '/api/specs/{node}/{task}', method: 'PUT', role: 'admin', what: 'record a task spec as desired on a node (what migration may move)' },
] as const;

const OTHER_PATHS = ['/api/', '/metrics', '/healthz', '/readyz', '/'];

/** How the server is protected: access control on /api (and /metrics when asked), and TLS. */
export interface HttpSecurity {
  access: ApiAccess;
  /** Require a viewer on /metrics too (Prometheus then scrapes with a token). */
  metricsAuth: boolean;
  tls?: TlsMaterial;
}

/** Status of an error thrown below a route: a body refusal, or express' own 4xx (bad JSON, bad %-encoding). */
function clientErrorOf(err: Error & { status?: number; statusCode?: number; type?: string }): { status: number; message: string } | undefined {
  if (err instanceof BodyRefusal) return { status: err.status, message: err.message };
  const status = err.status ?? err.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const message = err instanceof URIError || /URI|decode/i.test(err.message) ? `the path is not valid percent-encoding: ${err.message}` : err.message;
    return { status, message };
  }
  return undefined;
}

/** The collector's HTTP server: the API routes it is given, behind access control, plus /metrics, /healthz and /readyz. */
export class CollectorHttpServer {
  readonly name = 'http';
  private server: Server | undefined;

  constructor(
    private readonly listen: HostPort,
    private readonly routes: Router[],
    private readonly registry: Registry,
    private readonly ready: () => { ok: boolean; reason?: string },
    private readonly logger: Logger,
    private readonly security: HttpSecurity,
  ) {}

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The express app, exported so tests can drive the handlers without a socket. */
  app(): express.Express {
    const { access } = this.security;
    const app = express();
    app.disable('x-powered-by');
    app.set('query parser', 'simple');
    app.use('/api', access.authenticate, (req: Request, res: Response, next: NextFunction) => {
      // reads need a viewer; a write route checks its own role (by command type), and an unknown write is refused
      if (req.method === 'GET' || req.method === 'HEAD') return access.allowed(res, 'viewer', `${req.method} ${req.originalUrl.split('?')[0]}`) && next();
      next();
    });
    app.get(['/api', '/api/'], (_req, res) => {
      res.json({ routes: API_INDEX, other: OTHER_PATHS });
    });
    for (const r of this.routes) app.use(r);
    if (this.security.metricsAuth) app.use('/metrics', access.authenticate, access.require('viewer', 'GET /metrics'));
    app.use(operationalRoutes({ registry: this.registry, ready: this.ready, logger: this.logger }));
    app.use((_req, res) => refuse(res, 404, 'not_found', `try GET /api/ for the routes (or ${OTHER_PATHS.slice(1).join(', ')})`));
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      const client = clientErrorOf(err);
      if (client) {
        access.refused(client.status === 413 ? 'too_large' : 'bad_request');
        if (client.status === 413) res.set('Connection', 'close');
        return refuse(res, client.status, client.status === 413 ? 'too_large' : client.status === 415 ? 'unsupported_media_type' : 'bad_request', client.message);
      }
      this.logger.error('http handler failed', { err });
      refuse(res, 500, 'internal', 'internal error (see the collector log)');
    });
    return app;
  }

  async start(): Promise<void> {
    this.server = await listenHttp(this.app(), this.listen, this.logger, [...API_INDEX.map((r) => r.path), ...OTHER_PATHS], this.security.tls);
  }

  async stop(): Promise<void> {
    await closeHttp(this.server);
  }
}
