import { createHash, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Router, type Request, type Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { byteSize, formatIssues } from '../../common/config.js';
import { errorMessage } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { alertWebhookSchema, type AlertWebhookBody } from '../../protocol/alert-webhook.js';
import { secretString } from '../notify/notify-config.js';
import { SIGNATURE_HEADER, verifySignature } from '../notify/webhook-signature.js';
import type { AlertSignal } from '../../common/rules/signals.js';

/** Where Alertmanager's webhook_configs point (DESIGN.md, "HTTP API of the collector"). */
export const ALERTMANAGER_PATH = '/api/alertmanager';

/** Config fragment of the input (suggested key: `alertmanager`): optional auth and a body size cap. */
export const alertmanagerInputConfigSchema = z
  .strictObject({
    /** Expected `Authorization: Bearer <token>` (Alertmanager: `http_config.authorization.credentials`). */
    bearerToken: secretString.optional(),
    /** HMAC key of X-Edgewatch-Signature (edgewatch senders; Alertmanager itself does not sign). */
    secret: secretString.optional(),
    maxBodyBytes: byteSize.default(4 * 1024 * 1024),
  })
  .prefault({});
export type AlertmanagerInputConfig = z.output<typeof alertmanagerInputConfigSchema>;

/** How a POST /api/alertmanager ended: the `result` label of edgewatch_collector_alertmanager_received_total. */
export const RECEIVE_RESULTS = ['accepted', 'bad_json', 'bad_schema', 'too_large', 'unauthorized', 'failed'] as const;
type ReceiveResult = (typeof RECEIVE_RESULTS)[number];

/** What the route needs: where accepted alerts go, the clock for `at` and signature age, and optional auth. */
export interface AlertmanagerRouteOptions {
  /** Gets every alert of an accepted body; the 200 goes out once it resolves (a throw answers 500, which Alertmanager retries). */
  onAlerts(signals: AlertSignal[]): Promise<void> | void;
  clock: Clock;
  registry: Registry;
  logger: Logger;
  bearerToken?: string;
  secret?: string;
  /** Largest body accepted (default 4 MiB); larger is a 413. */
  maxBodyBytes?: number;
}

class Refusal {
  constructor(
    readonly status: number,
    readonly result: ReceiveResult,
    readonly message: string,
  ) {}
}

const ERROR_CODES: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 413: 'too_large', 500: 'internal' };

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The alerts of a v4 body as rule-engine signals, all observed at `nowMs`. */
export function alertSignals(body: AlertWebhookBody, nowMs: number): AlertSignal[] {
  return body.alerts.map((a) => ({
    kind: 'alert',
    at: nowMs,
    status: a.status,
    labels: a.labels,
    annotations: a.annotations,
    fingerprint: a.fingerprint,
    startsAt: Date.parse(a.startsAt),
  }));
}

/** Reads at most `limit` bytes; undefined when the body is larger (the rest is drained, not kept). */
function readBody(req: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else resolve(undefined);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    req.on('error', reject);
  });
}

/**
 * POST /api/alertmanager: the Alertmanager v4 webhook in. Auth is checked and the body size capped before
 * anything is parsed; then JSON, then the schema. Mount it before any body parser: it reads the raw bytes
 * the signature covers.
 */
export function alertmanagerRoutes(options: AlertmanagerRouteOptions): Router {
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const tokenDigest = options.bearerToken ? digest(options.bearerToken) : undefined;
  const received = new Counter({
    name: 'edgewatch_collector_alertmanager_received_total',
    help: 'Alertmanager webhook requests on POST /api/alertmanager, by result.',
    labelNames: ['result'],
    registers: [options.registry],
  });
  for (const result of RECEIVE_RESULTS) received.inc({ result }, 0);

  async function accept(req: Request): Promise<AlertSignal[]> {
    if (tokenDigest) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
      // Digests have equal length whatever was sent, so the comparison is constant-time.
      if (!m || !timingSafeEqual(digest(m[1]!), tokenDigest)) throw new Refusal(401, 'unauthorized', 'missing or wrong bearer token');
    }
    if (Number(req.get('content-length') ?? 0) > limit) throw new Refusal(413, 'too_large', `body larger than ${limit} bytes`);
    if (req.readableEnded) throw new Refusal(500, 'failed', 'the request body was consumed before this route; mount alertmanagerRoutes before body parsers');
    const raw = await readBody(req, limit);
    if (!raw) throw new Refusal(413, 'too_large', `body larger than ${limit} bytes`);
    if (options.secret) {
      const v = verifySignature(options.secret, req.get(SIGNATURE_HEADER), raw, options.clock.now());
      if (!v.ok) throw new Refusal(401, 'unauthorized', `${SIGNATURE_HEADER} ${v.reason === 'missing' ? 'missing' : `refused (${v.reason})`}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new Refusal(400, 'bad_json', `body is not JSON: ${errorMessage(err)}`);
    }
    const parsed = alertWebhookSchema.safeParse(json);
    if (!parsed.success) throw new Refusal(400, 'bad_schema', `not an Alertmanager v4 webhook body: ${formatIssues(parsed.error).join('; ')}`);
    return alertSignals(parsed.data, options.clock.now());
  }

  const refuse = (res: Response, r: Refusal) => {
    received.inc({ result: r.result });
    options.logger.warn('alertmanager webhook refused', { status: r.status, reason: r.result, message: r.message });
    if (r.status === 401) res.set('WWW-Authenticate', tokenDigest ? 'Bearer' : 'Signature');
    if (r.status === 413) res.set('Connection', 'close');
    res.status(r.status).json({ error: ERROR_CODES[r.status] ?? 'error', message: r.message });
  };

  const router = Router();
  router.post(ALERTMANAGER_PATH, async (req, res) => {
    let signals: AlertSignal[];
    try {
      signals = await accept(req);
    } catch (err) {
      if (err instanceof Refusal) return refuse(res, err);
      return refuse(res, new Refusal(400, 'bad_json', `cannot read the body: ${errorMessage(err)}`));
    }
    try {
      await options.onAlerts(signals);
    } catch (err) {
      options.logger.error('alertmanager alerts not taken', { err, alerts: signals.length });
      received.inc({ result: 'failed' });
      return void res.status(500).json({ error: 'internal', message: `alerts not taken: ${errorMessage(err)}` });
    }
    received.inc({ result: 'accepted' });
    res.status(200).json({ status: 'ok', alerts: signals.length });
  });
  return router;
}
