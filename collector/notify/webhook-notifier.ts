import type { Registry } from 'prom-client';
import type { Clock, TimerHandle, Timers } from '../../common/clock.js';
import { formatIssues } from '../../common/config.js';
import { errorMessage } from '../../common/errors.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import { EDGEWATCH_VERSION } from '../../common/version.js';
import { alertStateSchema, type AlertState, type AlertStateInput } from './alert-state.js';
import type { DeliveryJournal, DeliveryOutcome } from './delivery-journal.js';
import type { HttpPost, HttpPostResponse } from './http-post.js';
import type { WebhookConfig } from './notify-config.js';
import { classify, safeUrl, type Outcome } from './delivery-outcome.js';
import { retryDelayMs } from './retry-delay.js';
import { fingerprintOf, idempotencyKey, webhookBody } from './webhook-body.js';
import { WebhookMetrics } from './webhook-metrics.js';
import type { NewDelivery, OutboxDelivery, WebhookOutbox } from './webhook-outbox.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature.js';

/** What to deliver where: the `notify.webhooks` entries and the collector's externally reachable URL. */
export interface WebhookNotifierOptions {
  webhooks: WebhookConfig[];
  /** Base of each alert's generatorURL (`<externalURL>/api/incidents/<id>`) and the body's `externalURL`. */
  externalURL: string;
  /** Requests one webhook may have open at once (default 4); one fingerprint never has two. */
  maxInFlightPerWebhook?: number;
}

/** The notifier's collaborators; `random` (for jitter) defaults to Math.random. */
export interface WebhookNotifierDeps {
  clock: Clock;
  timers: Timers;
  http: HttpPost;
  outbox: WebhookOutbox;
  registry: Registry;
  logger: Logger;
  random?: () => number;
  /** Told of every attempt's end, per incident (the console shows them). */
  journal?: DeliveryJournal;
}

/** Which incident and alert state a queued delivery carries (for the journal). */
interface DeliveryMeta {
  incidentId: string;
  alertname: string;
  status: 'firing' | 'resolved';
}

interface Target {
  config: WebhookConfig;
  inFlight: Set<number>;
  /** Fingerprints with a request in flight: the next state of the same alert waits for it, so order holds. */
  busy: Set<string>;
  lastError?: string;
}

/** Header naming the attempt number (1 on the first send), for receivers' logs. */
export const ATTEMPT_HEADER = 'X-Edgewatch-Delivery-Attempt';

/**
 * Sends alert states to every configured webhook as Alertmanager v4 bodies, through a durable outbox.
 * 2xx is delivered; 5xx, timeouts and connection errors are retried with jittered exponential backoff up
 * to `maxAttempts`; 4xx is never retried. A newer state of an alert replaces one still waiting.
 */
export class WebhookNotifier implements Component {
  readonly name = 'notify';
  private readonly targets = new Map<string, Target>();
  private readonly pending = new Map<number, OutboxDelivery>();
  private readonly meta = new Map<number, DeliveryMeta>();
  private readonly requests = new Set<Promise<void>>();
  private readonly metrics: WebhookMetrics;
  private readonly maxInFlight: number;
  private readonly random: () => number;
  private timer: { handle: TimerHandle; at: number } | undefined;
  private running = false;

  constructor(
    private readonly options: WebhookNotifierOptions,
    private readonly deps: WebhookNotifierDeps,
  ) {
    for (const config of options.webhooks) this.targets.set(config.url, { config, inFlight: new Set(), busy: new Set() });
    this.maxInFlight = Math.max(1, options.maxInFlightPerWebhook ?? 4);
    this.random = deps.random ?? Math.random;
    this.metrics = new WebhookMetrics(deps.registry, () => this.pending.size);
  }

  /** Queues the alerts durably (committed before this returns) and sends what is due; never throws. */
  notify(alerts: AlertStateInput[]): void {
    if (this.targets.size === 0 || alerts.length === 0) return;
    const now = this.deps.clock.now();
    // The last state of an alert in this call wins; earlier ones it replaces are never sent.
    const fresh = new Map<string, NewDelivery>();
    const metaOf = new Map<NewDelivery, DeliveryMeta>();
    for (const input of alerts) {
      const parsed = alertStateSchema.safeParse(input);
      if (!parsed.success) {
        this.deps.logger.error('alert state refused by the notifier', { issues: formatIssues(parsed.error) });
        for (let i = 0; i < this.targets.size; i++) this.metrics.attempt('failed');
        continue;
      }
      for (const t of this.targets.values()) {
        const d = this.delivery(parsed.data, t.config, now);
        fresh.set(`${d.webhook}\n${d.fingerprint}`, d);
        metaOf.set(d, { incidentId: parsed.data.incidentId, alertname: parsed.data.labels.alertname ?? '', status: parsed.data.status });
      }
    }
    const superseded = [...this.pending.values()].filter((p) => fresh.has(`${p.webhook}\n${p.fingerprint}`) && !this.targets.get(p.webhook)?.inFlight.has(p.id));
    let added: OutboxDelivery[];
    const queued = [...fresh.values()];
    try {
      added = this.deps.outbox.enqueue(queued, superseded.map((p) => p.id));
    } catch (err) {
      this.deps.logger.error('cannot queue webhook deliveries', { err, deliveries: fresh.size });
      for (let i = 0; i < fresh.size; i++) this.metrics.attempt('failed');
      return;
    }
    for (const p of superseded) {
      this.pending.delete(p.id);
      this.meta.delete(p.id);
    }
    added.forEach((d, n) => {
      this.pending.set(d.id, d);
      const m = metaOf.get(queued[n]!);
      if (m && this.deps.journal) this.meta.set(d.id, m);
    });
    this.pump();
  }

  /** Resumes the deliveries a previous run left in the outbox, then sends as they come due. */
  start(): void {
    this.pending.clear();
    for (const d of this.deps.outbox.all()) {
      if (this.targets.has(d.webhook)) {
        this.pending.set(d.id, d);
        continue;
      }
      this.deps.outbox.remove(d.id);
      this.metrics.attempt('failed');
      this.deps.logger.warn('dropped a queued delivery: its webhook is no longer configured', { webhook: safeUrl(d.webhook), idempotencyKey: d.idempotencyKey });
    }
    this.running = true;
    if (this.pending.size > 0) this.deps.logger.info('resuming webhook deliveries', { pending: this.pending.size });
    this.pump();
  }

  /** Sends everything due now and waits until no request is open; deliveries in backoff stay queued. */
  async flush(): Promise<void> {
    for (;;) {
      this.pump();
      if (this.requests.size === 0) return;
      await Promise.allSettled([...this.requests]);
    }
  }

  /** Stops sending and waits for open requests (each bounded by its timeout); the outbox keeps the rest. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.deps.timers.clearTimeout(this.timer.handle);
    this.timer = undefined;
    await Promise.allSettled([...this.requests]);
  }

  /** Deliveries queued and not yet delivered or given up. */
  get pendingCount(): number {
    return this.pending.size;
  }

  private delivery(alert: AlertState, config: WebhookConfig, now: number): NewDelivery {
    const body = webhookBody(alert, { receiver: config.receiver, externalURL: this.options.externalURL });
    return {
      webhook: config.url,
      fingerprint: fingerprintOf(alert),
      idempotencyKey: idempotencyKey(config.url, alert),
      body: JSON.stringify(body),
      nextAttemptMs: now,
      createdMs: now,
    };
  }

  private pump(): void {
    if (!this.running) return;
    const now = this.deps.clock.now();
    for (const t of this.targets.values()) {
      while (t.inFlight.size < this.maxInFlight) {
        const next = this.nextDue(t, now);
        if (!next) break;
        this.send(t, next, now);
      }
    }
    this.arm(now);
  }

  private eligible(t: Target, d: OutboxDelivery): boolean {
    return !t.inFlight.has(d.id) && !t.busy.has(d.fingerprint);
  }

  private nextDue(t: Target, now: number): OutboxDelivery | undefined {
    let best: OutboxDelivery | undefined;
    for (const d of this.pending.values()) {
      if (d.webhook !== t.config.url || d.nextAttemptMs > now || !this.eligible(t, d)) continue;
      if (!best || d.nextAttemptMs < best.nextAttemptMs || (d.nextAttemptMs === best.nextAttemptMs && d.id < best.id)) best = d;
    }
    return best;
  }

  /** One timer for the earliest waiting delivery; those blocked behind an open request are woken by its end. */
  private arm(now: number): void {
    let at: number | undefined;
    for (const d of this.pending.values()) {
      const t = this.targets.get(d.webhook);
      if (!t || t.inFlight.size >= this.maxInFlight || !this.eligible(t, d)) continue;
      if (at === undefined || d.nextAttemptMs < at) at = d.nextAttemptMs;
    }
    if (this.timer && this.timer.at === at) return;
    if (this.timer) this.deps.timers.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (at === undefined) return;
    const handle = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, at - now));
    this.timer = { handle, at };
  }

  private send(t: Target, d: OutboxDelivery, now: number): void {
    const attempt = d.attempts + 1;
    t.inFlight.add(d.id);
    t.busy.add(d.fingerprint);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': `edgewatch/${EDGEWATCH_VERSION}`,
      [IDEMPOTENCY_HEADER]: d.idempotencyKey,
      [ATTEMPT_HEADER]: String(attempt),
    };
    // Signed per attempt: a retry after minutes still carries a timestamp the receiver accepts.
    if (t.config.secret) headers[SIGNATURE_HEADER] = signatureHeader(t.config.secret, d.body, now);
    // Wrapped so an HttpPost that throws instead of rejecting still counts as a failed attempt.
    const request: Promise<void> = new Promise<HttpPostResponse>((resolve) => resolve(this.deps.http.post(t.config.url, d.body, headers, t.config.timeoutSeconds * 1000)))
      .then(classify, (err: unknown): Outcome => ({ kind: 'transient', reason: errorMessage(err) }))
      .then((outcome) => this.settle(t, d, attempt, outcome, now))
      .catch((err: unknown) => this.deps.logger.error('webhook delivery bookkeeping failed', { err, idempotencyKey: d.idempotencyKey }))
      .finally(() => {
        t.inFlight.delete(d.id);
        t.busy.delete(d.fingerprint);
        this.requests.delete(request);
        this.pump();
      });
    this.requests.add(request);
  }

  private settle(t: Target, d: OutboxDelivery, attempt: number, outcome: Outcome, sentAt: number): void {
    const now = this.deps.clock.now();
    const seconds = (now - sentAt) / 1000;
    const fields = { webhook: safeUrl(t.config.url), idempotencyKey: d.idempotencyKey, attempt };
    this.journal(d, fields.webhook, attempt, outcome, now, t.config.maxAttempts);
    if (outcome.kind === 'success') {
      this.forget(d);
      this.metrics.attempt('success', seconds);
      this.metrics.delivered((now - d.createdMs) / 1000);
      if (t.lastError !== undefined) this.deps.logger.info('webhook receiver answering again', { webhook: fields.webhook });
      t.lastError = undefined;
      return;
    }
    if (outcome.kind === 'rejected') {
      this.forget(d);
      this.metrics.attempt('rejected_4xx', seconds);
      this.deps.logger.warn('webhook receiver refused the alert; not retried', { ...fields, status: outcome.reason, response: outcome.response });
      return;
    }
    if (outcome.kind === 'permanent' || attempt >= t.config.maxAttempts) {
      this.forget(d);
      this.metrics.attempt('failed', seconds);
      this.deps.logger.error('webhook delivery given up', { ...fields, error: outcome.reason, maxAttempts: t.config.maxAttempts });
      return;
    }
    const delay = retryDelayMs(attempt, t.config.backoffInitialSeconds * 1000, t.config.backoffMaxSeconds * 1000, this.random);
    d.attempts = attempt;
    d.nextAttemptMs = now + delay;
    this.deps.outbox.reschedule(d.id, d.attempts, d.nextAttemptMs);
    this.metrics.attempt('retry', seconds);
    // Log when the receiver's trouble changes, not once per queued alert and attempt.
    const level = outcome.reason === t.lastError ? 'debug' : 'warn';
    t.lastError = outcome.reason;
    this.deps.logger[level]('webhook delivery failed; will retry', { ...fields, error: outcome.reason, retryInMs: delay });
  }

  /** Tells the journal how an attempt ended, with the incident it was for. */
  private journal(d: OutboxDelivery, webhook: string, attempt: number, outcome: Outcome, now: number, maxAttempts: number): void {
    const m = this.meta.get(d.id);
    if (!m || !this.deps.journal) return;
    const result: DeliveryOutcome =
      outcome.kind === 'success' ? 'delivered' : outcome.kind === 'rejected' ? 'refused' : outcome.kind === 'permanent' || attempt >= maxAttempts ? 'given_up' : 'retrying';
    this.deps.journal.record({ ...m, webhook, attempt, outcome: result, at: now, ...(outcome.kind !== 'success' ? { detail: outcome.reason } : {}) });
  }

  private forget(d: OutboxDelivery): void {
    this.meta.delete(d.id);
    this.pending.delete(d.id);
    this.deps.outbox.remove(d.id);
  }
}
