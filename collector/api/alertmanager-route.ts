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
import { KeyedRate } from '../../common/keyed-rate.js';
import type { AuditLog } from '../audit/audit-log.js';
import { clientOf, principalOf, type ApiAccess } from './access.js';
import { BodyRefusal, checkBodyHeaders, parseJsonObject, readBody } from './json-body.js';
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
    /** Alerts one webhook body may carry (Alertmanager's `max_alerts`); more is a 413. */
    maxAlertsPerRequest: z.number().int().min(1).default(1000),
    /** Alerts each caller may post per minute; more is a 429, which Alertmanager retries. */
    alertsPerMinute: z.number().min(1).default(6000),
  })
  .prefault({});
export type AlertmanagerInputConfig = z.output<typeof alertmanagerInputConfigSchema>;

/** How a POST /api/alertmanager ended: the `result` label of edgewatch_collector_alertmanager_received_total. */
export const RECEIVE_RESULTS = ['accepted', 'bad_json', 'bad_schema', 'too_large', 'unauthorized', 'rate_limited', 'failed'] as const;
type ReceiveResult = (typeof RECEIVE_RESULTS)[number];

/** What the route needs: where accepted alerts go, the clock for `at` and signature age, and optional auth. */
export interface AlertmanagerRouteOptions {
  /** Gets every alert of an accepted body; the 200 goes out once it resolves (a throw answers 500, which Alertmanager retries). */
  onAlerts(signals: AlertSignal[]): Promise<void> | void;
  clock: Clock;
  registry: Registry;
  logger: Logger;
  /** Access control (the collector's API): the caller needs the alertmanager role. Absent, the route is open. */
  access?: ApiAccess;
  audit?: AuditLog;
  secret?: string;
  /** Largest body accepted (default 4 MiB); larger is a 413. */
  maxBodyBytes?: number;
  /** Alerts one body may carry (default 1000) and each caller may post per minute (default 6000). */
  maxAlertsPerRequest?: number;
  alertsPerMinute?: number;
}

class Refusal {
  constructor(
    readonly status: number,
    readonly result: ReceiveResult,
    readonly message: string,
    readonly retryAfterSeconds?: number,
  ) {}
}

const ERROR_CODES: Record<number, string> = { 400: 'bad_request', 401: 'unauthorized', 413: 'too_large', 415: 'unsupported_media_type', 429: 'too_many_requests', 500: 'internal' };


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

/**
 * POST /api/alertmanager: the Alertmanager v4 webhook in. Auth is checked and the body size capped before
 * anything is parsed; then JSON, then the schema. Mount it before any body parser: it reads the raw bytes
 * the signature covers.
 */
export function alertmanagerRoutes(options: AlertmanagerRouteOptions): Router {
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const maxAlerts = options.maxAlertsPerRequest ?? 1000;
  const perCaller = new KeyedRate(options.alertsPerMinute ?? 6000, options.alertsPerMinute ?? 6000);
  const received = new Counter({
    name: 'edgewatch_collector_alertmanager_received_total',
    help: 'Alertmanager webhook requests on POST /api/alertmanager, by result.',
    labelNames: ['result'],
    registers: [options.registry],
  });
  for (const result of RECEIVE_RESULTS) received.inc({ result }, 0);

  async function accept(req: Request, caller: string): Promise<AlertSignal[]> {
    try {
      checkBodyHeaders(req, limit);
    } catch (err) {
      if (err instanceof BodyRefusal) throw new Refusal(err.status, err.status === 413 ? 'too_large' : 'bad_json', err.message);
      throw err;
    }
    if (req.readableEnded) throw new Refusal(500, 'failed', 'the request body was consumed before this route; mount alertmanagerRoutes before body parsers');
    const raw = await readBody(req, limit);
    if (!raw) throw new Refusal(413, 'too_large', `body larger than ${limit} bytes`);
    if (options.secret) {
      const v = verifySignature(options.secret, req.get(SIGNATURE_HEADER), raw, options.clock.now());
      if (!v.ok) throw new Refusal(401, 'unauthorized', `${SIGNATURE_HEADER} ${v.reason === 'missing' ? 'missing' : `refused (${v.reason})`}`);
    }
    let json: Record<string, unknown>;
    try {
      json = parseJsonObject(raw.toString('utf8'), 32);
    } catch (err) {
      throw new Refusal(400, 'bad_json', errorMessage(err));
    }
    const count = Array.isArray((json as { alerts?: unknown }).alerts) ? (json as { alerts: unknown[] }).alerts.length : 0;
    if (count > maxAlerts) throw new Refusal(413, 'too_large', `${count} alerts in one body, at most ${maxAlerts} (alertmanager.maxAlertsPerRequest; or set max_alerts in Alertmanager's webhook_config)`);
    const parsed = alertWebhookSchema.safeParse(json);
    if (!parsed.success) throw new Refusal(400, 'bad_schema', `not an Alertmanager v4 webhook body: ${formatIssues(parsed.error).join('; ')}`);
    const wait = perCaller.take(caller, options.clock.now(), parsed.data.alerts.length);
    if (wait > 0) throw new Refusal(429, 'rate_limited', `${caller} may post ${options.alertsPerMinute ?? 6000} alerts a minute (alertmanager.alertsPerMinute): retry in ${wait} s`, wait);
    return alertSignals(parsed.data, options.clock.now());
  }

  const refuse = (res: Response, r: Refusal) => {
    received.inc({ result: r.result });
    options.logger.warn('alertmanager webhook refused', { status: r.status, reason: r.result, message: r.message });
    if (r.status === 401) res.set('WWW-Authenticate', 'Signature');
    if (r.status === 413) res.set('Connection', 'close');
    if (r.retryAfterSeconds !== undefined) res.set('Retry-After', String(r.retryAfterSeconds));
    res.status(r.status).json({ error: ERROR_CODES[r.status] ?? 'error', message: r.message });
  };

  const router = Router();
  router.post(ALERTMANAGER_PATH, async (req, res) => {
    if (options.access && !options.access.allowed(res, 'alertmanager', `POST ${ALERTMANAGER_PATH}`)) return;
    const who = options.access ? principalOf(res) : undefined;
    const audit = (outcome: string, alerts?: number) =>
      options.audit?.record({ who: who?.name ?? 'anonymous', ...(who ? { role: who.role } : {}), source: clientOf(req), action: 'alertmanager.webhook', outcome, ...(alerts !== undefined ? { detail: { alerts } } : {}) });
    let signals: AlertSignal[];
    try {
      signals = await accept(req, who?.name ?? 'anonymous');
    } catch (err) {
      const r = err instanceof Refusal ? err : new Refusal(400, 'bad_json', `cannot read the body: ${errorMessage(err)}`);
      audit(r.result);
      return refuse(res, r);
    }
    try {
      await options.onAlerts(signals);
    } catch (err) {
      options.logger.error('alertmanager alerts not taken', { err, alerts: signals.length });
      received.inc({ result: 'failed' });
      return void res.status(500).json({ error: 'internal', message: `alerts not taken: ${errorMessage(err)}` });
    }
    received.inc({ result: 'accepted' });
    audit('accepted', signals.length);
    res.status(200).json({ status: 'ok', alerts: signals.length });
  });
  return router;
}
