import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { NodeHttpPost } from '../../../collector/notify/node-http-post.js';
import { SqliteWebhookOutbox } from '../../../collector/notify/sqlite-outbox.js';
import { ATTEMPT_HEADER, WebhookNotifier } from '../../../collector/notify/webhook-notifier.js';
import { verifySignature } from '../../../collector/notify/webhook-signature.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { alertWebhookSchema, ZERO_TIME } from '../../../protocol/alert-webhook.js';
import { firing, resolved, webhook } from '../../support/notify-harness.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { parseExposition, sampleValue } from '../../support/prom-text.js';
import { eventually } from '../../support/wait.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';

const SECRET = 'integration-secret-0123456789';
const FAST = { backoffInitialSeconds: 0.05, backoffMaxSeconds: 0.2 };

describe('webhook delivery over real HTTP', () => {
  let tmp: ReturnType<typeof tempDir>;
  let cleanups: Array<() => Promise<void> | void>;
  beforeEach(() => {
    tmp = tempDir('edgewatch-webhook-');
    cleanups = [];
  });
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    tmp.cleanup();
  });

  function notifier(webhooks: ReturnType<typeof webhook>[]) {
    const outbox = new SqliteWebhookOutbox(join(tmp.dir, 'outbox.db'));
    const registry = new Registry();
    const n = new WebhookNotifier(
      { webhooks, externalURL: 'http://collector.test:8080' },
      { clock: systemClock, timers: systemClock, http: new NodeHttpPost(), outbox, registry, logger: silentLogger },
    );
    n.start();
    cleanups.push(async () => {
      await n.stop();
      outbox.close();
    });
    const metric = async (result: string) => sampleValue(parseExposition(await registry.metrics()), 'edgewatch_collector_webhook_deliveries_total', { result });
    return { n, outbox, metric };
  }

  it('a receiver answering 503 twice then 200 gets the firing alert three times with one key and valid signatures, then the resolution', async () => {
    const rx = await startWebhookReceiver((n) => (n < 2 ? 503 : 200));
    cleanups.push(() => rx.close());
    const { n, outbox, metric } = notifier([webhook(`${rx.url}/hook`, { secret: SECRET, ...FAST })]);
    const startsAt = Date.now() - 60_000;
    n.notify([firing(startsAt)]);
    await eventually('the third attempt answered 200', () => rx.requests.length === 3 && n.pendingCount === 0);
    n.notify([resolved(startsAt, Date.now())]);
    await eventually('the resolution delivered', () => rx.requests.length === 4 && n.pendingCount === 0);

    for (const r of rx.requests) {
      const v = verifySignature(SECRET, r.headers['x-edgewatch-signature'] as string, r.raw, r.atMs);
      assert.deepEqual(v, { ok: true }, 'every request verifies on the receiver side over the raw bytes');
      assert.equal(r.path, '/hook');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.match(String(r.headers['user-agent']), /^edgewatch\//);
    }
    const keys = rx.requests.map((r) => r.headers['idempotency-key']);
    assert.equal(new Set(keys.slice(0, 3)).size, 1, 'the retries carry the first attempt\'s key');
    assert.notEqual(keys[3], keys[0], 'the resolution has its own key');
    assert.deepEqual(rx.requests.map((r) => r.headers[ATTEMPT_HEADER.toLowerCase()]), ['1', '2', '3', '1']);

    const bodies = rx.requests.map((r) => alertWebhookSchema.parse(JSON.parse(r.raw.toString('utf8'))));
    assert.equal(bodies[0]!.status, 'firing');
    assert.equal(bodies[0]!.alerts[0]!.endsAt, ZERO_TIME);
    assert.equal(bodies[3]!.status, 'resolved');
    assert.notEqual(bodies[3]!.alerts[0]!.endsAt, ZERO_TIME);
    assert.ok(Date.parse(bodies[3]!.alerts[0]!.endsAt) > Date.parse(bodies[3]!.alerts[0]!.startsAt));
    assert.equal(bodies[3]!.alerts[0]!.fingerprint, bodies[0]!.alerts[0]!.fingerprint);

    assert.equal(await metric('retry'), 2);
    assert.equal(await metric('success'), 2);
    assert.deepEqual(outbox.all(), []);
  });

  it('a receiver that does not answer within timeoutSeconds is retried', async () => {
    const rx = await startWebhookReceiver((n) => (n === 0 ? 'hang' : 200));
    cleanups.push(() => rx.close());
    const { n, metric } = notifier([webhook(`${rx.url}/hook`, { timeoutSeconds: 0.2, ...FAST })]);
    const t0 = Date.now();
    n.notify([firing(t0)]);
    await eventually('delivered after the timeout', () => rx.requests.length === 2 && n.pendingCount === 0);
    assert.ok(rx.requests[1]!.atMs - t0 >= 200, 'the retry came after the 200 ms timeout');
    assert.equal(await metric('retry'), 1);
    assert.equal(await metric('success'), 1);
  });

  it('an unreachable receiver is retried maxAttempts times, then given up and counted', async () => {
    const port = await freePort(); // nothing listens there
    const { n, metric } = notifier([webhook(`http://127.0.0.1:${port}/hook`, { maxAttempts: 3, ...FAST })]);
    n.notify([firing(Date.now())]);
    await eventually('given up', () => n.pendingCount === 0);
    assert.equal(await metric('retry'), 2);
    assert.equal(await metric('failed'), 1);
  });

  it('a 4xx answer is final', async () => {
    const rx = await startWebhookReceiver(() => 422);
    cleanups.push(() => rx.close());
    const { n, metric } = notifier([webhook(`${rx.url}/hook`, FAST)]);
    n.notify([firing(Date.now())]);
    await eventually('refused', () => n.pendingCount === 0);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rx.requests.length, 1);
    assert.equal(await metric('rejected_4xx'), 1);
  });
});
