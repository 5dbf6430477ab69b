import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { alertWebhookSchema, type AlertWebhookBody } from '../../protocol/alert-webhook.js';

/** An HTTP receiver that records Alertmanager v4 bodies (parsed with the schema) and lets tests await them. */
export class AlertReceiver {
  readonly bodies: AlertWebhookBody[] = [];
  /** The Idempotency-Key header of each body, in the same order. */
  readonly keys: string[] = [];
  private server: Server | undefined;
  private waiters: Array<{ match: (b: AlertWebhookBody) => boolean; resolve: (b: AlertWebhookBody) => void }> = [];

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (d: Buffer) => (raw += d.toString()));
      req.on('end', () => {
        const parsed = alertWebhookSchema.safeParse(JSON.parse(raw));
        if (!parsed.success) {
          res.writeHead(400).end(parsed.error.message);
          return;
        }
        this.bodies.push(parsed.data);
        this.keys.push(String(req.headers['idempotency-key'] ?? ''));
        this.waiters = this.waiters.filter((w) => (w.match(parsed.data) ? (w.resolve(parsed.data), false) : true));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** The first body (already received or future) that matches. */
  waitFor(match: (b: AlertWebhookBody) => boolean): Promise<AlertWebhookBody> {
    const seen = this.bodies.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
