import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Registry } from 'prom-client';
import type { HostPort } from '../../common/config.js';
import { closeHttp, listenHttp, operationalRoutes } from '../../common/adapters/http-service.js';
import type { Logger } from '../../common/logger.js';

/** Serves /metrics, /healthz and /readyz; `ready()` decides readiness. */
export class ExporterHttpServer {
  readonly name = 'http';
  private server: Server | undefined;

  constructor(
    private readonly listen: HostPort,
    private readonly registry: Registry,
    private readonly ready: () => { ok: boolean; reason?: string },
    private readonly logger: Logger,
    private readonly onRender?: (seconds: number) => void,
  ) {}

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  async start(): Promise<void> {
    const app = express();
    app.disable('x-powered-by');
    app.use(operationalRoutes({ registry: this.registry, ready: this.ready, logger: this.logger, ...(this.onRender ? { onRender: this.onRender } : {}) }));
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('not found: try /metrics, /healthz or /readyz\n');
    });
    this.server = await listenHttp(app, this.listen, this.logger, ['/metrics', '/healthz', '/readyz']);
  }

  async stop(): Promise<void> {
    await closeHttp(this.server);
  }
}
