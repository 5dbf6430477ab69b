import { Registry } from 'prom-client';
import { FakeClock } from '../../common/clock.js';
import { EdgewatchError } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import type { AlertStateInput } from '../../collector/notify/alert-state.js';
import type { HttpPost, HttpPostResponse } from '../../collector/notify/http-post.js';
import { webhookConfigSchema } from '../../collector/notify/notify-config.js';
import { SqliteWebhookOutbox } from '../../collector/notify/sqlite-outbox.js';
import { WebhookNotifier } from '../../collector/notify/webhook-notifier.js';
import { parseExposition, sampleValue } from './prom-text.js';

/** What a scripted receiver does with one request: answer a status, refuse the connection, hang past the timeout, or answer after a delay. */
export type Reply = number | 'refused' | 'timeout' | { status: number; afterMs: number };

/** One request the scripted receiver saw, with the fake time it arrived at. */
export interface SeenRequest {
  atMs: number;
  url: string;
  body: string;
  headers: Record<string, string>;
  reply: Reply;
}

/** An {@link HttpPost} on a FakeClock whose answers a test scripts per URL (the last reply repeats). */
export class ScriptedHttp implements HttpPost {
  readonly seen: SeenRequest[] = [];
  private readonly scripts = new Map<string, Reply[]>();

  constructor(private readonly clock: FakeClock) {}

  /** Replies for `url`, in order; the last one repeats. */
  script(url: string, ...replies: Reply[]): this {
    this.scripts.set(url, replies);
    return this;
  }

  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<HttpPostResponse> {
    const script = this.scripts.get(url) ?? [200];
    const reply = script.length > 1 ? script.shift()! : script[0]!;
    this.seen.push({ atMs: this.clock.now(), url, body, headers, reply });
    if (reply === 'refused') return Promise.reject(new EdgewatchError('EW_WEBHOOK_UNREACHABLE', 'cannot reach: connect ECONNREFUSED'));
    return new Promise((resolve, reject) => {
      if (reply === 'timeout') {
        this.clock.setTimeout(() => reject(new EdgewatchError('EW_WEBHOOK_TIMEOUT', `no answer within ${timeoutMs} ms`)), timeoutMs);
      } else if (typeof reply === 'number') {
        resolve({ status: reply, body: `status ${reply}` });
      } else {
        this.clock.setTimeout(() => resolve({ status: reply.status, body: '' }), reply.afterMs);
      }
    });
  }

  /** The requests as `[seconds since start, url suffix, alert status, reply]` rows, for timeline assertions. */
  timeline(startMs: number): Array<[number, string, string, Reply]> {
    return this.seen.map((s) => {
      const body = JSON.parse(s.body) as { status: string };
      return [(s.atMs - startMs) / 1000, new URL(s.url).pathname, body.status, s.reply];
    });
  }
}

/** Lets pending promise callbacks run (all microtasks, then one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Advances the fake clock to `targetMs`, firing timers in order and letting promises settle after each. */
export async function runUntil(clock: FakeClock, targetMs: number): Promise<void> {
  await settle();
  for (;;) {
    const d = clock.nextDelay();
    if (d === undefined || clock.now() + d > targetMs) break;
    clock.advance(d);
    await settle();
  }
  clock.advance(Math.max(0, targetMs - clock.now()));
  await settle();
}

/** A webhook config as the YAML would give it (defaults applied). */
export const webhook = (url: string, extra: Record<string, unknown> = {}) => webhookConfigSchema.parse({ url, ...extra });

/** A firing alert state for node/task, starting at `startsAt`. */
export function firing(startsAt: number, labels: Record<string, string> = {}): AlertStateInput {
  return {
    incidentId: 'inc-1',
    status: 'firing',
    labels: { alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api', severity: 'critical', ...labels },
    annotations: { summary: 'api on edge-1 is down' },
    startsAt,
  };
}

/** The same alert, resolved at `endsAt`. */
export function resolved(startsAt: number, endsAt: number, labels: Record<string, string> = {}): AlertStateInput {
  return { ...firing(startsAt, labels), status: 'resolved', endsAt };
}

/** A notifier on a fake clock with a scripted receiver and an outbox at `outboxPath` (memory by default). */
export function notifierHarness(options: { webhooks: ReturnType<typeof webhook>[]; outboxPath?: string; clock?: FakeClock; http?: ScriptedHttp; maxInFlightPerWebhook?: number }) {
  const clock = options.clock ?? new FakeClock();
  const http = options.http ?? new ScriptedHttp(clock);
  const outbox = new SqliteWebhookOutbox(options.outboxPath ?? ':memory:');
  const registry = new Registry();
  const notifier = new WebhookNotifier(
    { webhooks: options.webhooks, externalURL: 'http://collector.test:8080', maxInFlightPerWebhook: options.maxInFlightPerWebhook },
    { clock, timers: clock, http, outbox, registry, logger: silentLogger, random: () => 0.5 },
  );
  const deliveries = async (result: string) =>
    sampleValue(parseExposition(await registry.metrics()), 'edgewatch_collector_webhook_deliveries_total', { result });
  return { clock, http, outbox, registry, notifier, deliveries };
}
