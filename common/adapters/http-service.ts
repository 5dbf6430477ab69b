import type { Server } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import express, { Router } from 'express';
import type { Registry } from 'prom-client';
import type { HostPort } from '../config.js';
import type { Logger } from '../logger.js';

/** What the operational endpoints need. */
export interface OperationalOptions {
  registry: Registry;
  /** Readiness; a reason is shown while not ready. */
  ready(): { ok: boolean; reason?: string };
  logger: Logger;
  /** Told how long each /metrics render took, in seconds. */
  onRender?(seconds: number): void;
}

/** /metrics (the process's own registry), /healthz (alive) and /readyz, shared by both deployables. */
export function operationalRoutes(o: OperationalOptions): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    try {
      const t0 = performance.now();
      const body = await o.registry.metrics();
      o.onRender?.((performance.now() - t0) / 1000);
      res.set('Content-Type', o.registry.contentType).send(body);
    } catch (err) {
      o.logger.error('metrics render failed', { err });
      res.status(500).type('text/plain').send('metrics render failed\n');
    }
  });
  router.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  router.get('/readyz', (_req, res) => {
    const r = o.ready();
    res.status(r.ok ? 200 : 503).type('text/plain').send(r.ok ? 'ready\n' : `not ready: ${r.reason ?? 'starting'}\n`);
  });
  return router;
}

/**
 * Listens on `http.listen` (HTTPS when `tls` is given), failing with a message that names the key when
 * the address is taken.
 */
export async function listenHttp(app: express.Express, listen: HostPort, logger: Logger, paths: string[], tls?: TlsServerOptions): Promise<Server> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s: Server = tls ? createHttpsServer(tls, app).listen(listen.port, listen.host) : app.listen(listen.port, listen.host);
    s.once('listening', () => resolve(s));
    s.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${listen.host}:${listen.port} (http.listen): ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
    );
  });
  const addr = server.address();
  logger.info(tls ? 'https listening' : 'http listening', { address: `${listen.host}:${typeof addr === 'object' && addr ? addr.port : listen.port}`, paths });
  return server;
}

/** Closes a server and its open connections (keep-alive scrapers included). */
export async function closeHttp(server: Server | undefined): Promise<void> {
  if (!server) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
