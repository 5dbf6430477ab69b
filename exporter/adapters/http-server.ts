import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Registry } from 'prom-client';
import type { HostPort } from '../../common/config.js';
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
    app.get('/metrics', async (_req, res) => {
      try {
        const t0 = performance.now();
        const body = await this.registry.metrics();
        this.onRender?.((performance.now() - t0) / 1000);
        res.set('Content-Type', this.registry.contentType).send(body);
      } catch (err) {
        this.logger.error('metrics render failed', { err });
        res.status(500).type('text/plain').send('metrics render failed\n');
      }
    });
    app.get('/healthz', (_req, res) => {
      res.type('text/plain').send('ok\n');
    });
    app.get('/readyz', (_req, res) => {
      const r = this.ready();
      res.status(r.ok ? 200 : 503).type('text/plain').send(r.ok ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
    });
    app.use((_req, res) => {
      res.status(404).type('text/plain').send('not found: try /metrics, /healthz or /readyz\n');
    });
    await new Promise<void>((resolve, reject) => {
      const server = app.listen(this.listen.port, this.listen.host);
      server.once('listening', () => resolve());
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(`cannot listen on ${this.listen.host}:${this.listen.port} (http.listen): ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
      );
      this.server = server;
    });
    this.logger.info('http listening', { address: `${this.listen.host}:${this.port}`, paths: ['/metrics', '/healthz', '/readyz'] });
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
