import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { HostPort } from '../../common/config.js';
import { closeHttp, listenHttp, operationalRoutes } from '../../common/adapters/http-service.js';
import type { Logger } from '../../common/logger.js';

const PATHS = ['/api/incidents', '/api/nodes', '/api/commands', '/api/traces/{traceId}', '/api/logs', '/api/alertmanager', '/metrics', '/healthz', '/readyz'];

/** The collector's HTTP server: the API routes it is given plus /metrics, /healthz and /readyz. */
export class CollectorHttpServer {
  readonly name = 'http';
  private server: Server | undefined;

  constructor(
    private readonly listen: HostPort,
    private readonly routes: Router[],
    private readonly registry: Registry,
    private readonly ready: () => { ok: boolean; reason?: string },
    private readonly logger: Logger,
  ) {}

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  /** The express app, exported so tests can drive the handlers without a socket. */
  app(): express.Express {
    const app = express();
    app.disable('x-powered-by');
    app.set('query parser', 'simple');
    for (const r of this.routes) app.use(r);
    app.use(operationalRoutes({ registry: this.registry, ready: this.ready, logger: this.logger }));
    app.use((_req, res) => {
      res.status(404).json({ error: 'not_found', message: `try ${PATHS.join(', ')}` });
    });
    app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
      this.logger.error('http handler failed', { err });
      res.status(500).json({ error: 'internal', message: err.message });
    });
    return app;
  }

  async start(): Promise<void> {
    this.server = await listenHttp(this.app(), this.listen, this.logger, PATHS);
  }

  async stop(): Promise<void> {
    await closeHttp(this.server);
  }
}
