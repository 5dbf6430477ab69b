import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../../../common/clock.js';
import { SqliteWebhookOutbox } from '../../../../collector/notify/sqlite-outbox.js';
import { ATTEMPT_HEADER } from '../../../../collector/notify/webhook-notifier.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, verifySignature } from '../../../../collector/notify/webhook-signature.js';
import { alertWebhookSchema, ZERO_TIME } from '../../../../protocol/alert-webhook.js';
import { firing, notifierHarness, resolved, runUntil, ScriptedHttp, webhook } from '../../../support/notify-harness.js';
import { tempDir } from '../../../support/paths.js';

const A = 'http://receiver-a.test/hook';
const B = 'http://receiver-b.test/hook';
const SECRET = 'a-webhook-secret-of-32-characters';
const T0 = Date.UTC(2026, 0, 1);
const s = (seconds: number) => T0 + seconds * 1000;

describe('WebhookNotifier on a fake clock', () => {
  it('retries a 503 at 1 s and 3 s (doubling backoff), then 200: one idempotency key, a fresh signature per attempt', async () => {
    const h = notifierHarness({ webhooks: [webhook(A, { secret: SECRET })] });
    h.http.script(A, 503, 503, 200);
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(10));
    assert.deepEqual(h.http.timeline(T0), [
      [0, '/hook', 'firing', 503],
      [1, '/hook', 'firing', 503],
      [3, '/hook', 'firing', 200],
    ]);
    const keys = new Set(h.http.seen.map((r) => r.headers[IDEMPOTENCY_HEADER]));
    assert.equal(keys.size, 1, 'every attempt carries the same Idempotency-Key');
    assert.match([...keys][0]!, /^[0-9a-f]{32}$/);
    assert.deepEqual(h.http.seen.map((r) => r.headers[ATTEMPT_HEADER]), ['1', '2', '3']);
    for (const r of h.http.seen) {
      assert.deepEqual(verifySignature(SECRET, r.headers[SIGNATURE_HEADER], r.body, r.atMs), { ok: true });
      assert.equal(r.headers[SIGNATURE_HEADER]!.split(',')[0], `t=${r.atMs / 1000}`, 'signed at the time of the attempt');
      assert.equal(r.headers['Content-Type'], 'application/json');
    }
    assert.equal(await h.deliveries('retry'), 2);
    assert.equal(await h.deliveries('success'), 1);
    assert.equal(await h.deliveries('failed'), 0);
    assert.equal(h.notifier.pendingCount, 0);
    assert.deepEqual(h.outbox.all(), [], 'delivered rows leave the outbox');
    assert.equal(h.clock.pendingCount, 0, 'no timer left behind');
  });

  it('sends an Alertmanager v4 body: firing with the zero endsAt, then resolved with endsAt set', async () => {
    const h = notifierHarness({ webhooks: [webhook(A, { receiver: 'oncall' })] });
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(1));
    h.notifier.notify([resolved(s(-60), s(1))]);
    await runUntil(h.clock, s(2));
    const [fire, resolve] = h.http.seen.map((r) => alertWebhookSchema.parse(JSON.parse(r.body)));
    assert.deepEqual(fire, {
      version: '4',
      groupKey: '{}:{alertname="EdgewatchTaskDown", node="edge-1", task="api"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'oncall',
      groupLabels: { alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api' },
      commonLabels: { alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api', severity: 'critical' },
      commonAnnotations: { summary: 'api on edge-1 is down' },
      externalURL: 'http://collector.test:8080',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api', severity: 'critical' },
          annotations: { summary: 'api on edge-1 is down' },
          startsAt: '2025-12-31T23:59:00Z',
          endsAt: ZERO_TIME,
          generatorURL: 'http://collector.test:8080/incidents/inc-1',
          // What Alertmanager 0.25 computes for these labels (checked against the real one).
          fingerprint: 'ab094fae4a01f5f3',
        },
      ],
    });
    assert.equal(resolve!.status, 'resolved');
    assert.equal(resolve!.alerts[0]!.status, 'resolved');
    assert.equal(resolve!.alerts[0]!.endsAt, '2026-01-01T00:00:01Z');
    assert.equal(resolve!.alerts[0]!.fingerprint, fire!.alerts[0]!.fingerprint);
    assert.notEqual(h.http.seen[0]!.headers[IDEMPOTENCY_HEADER], h.http.seen[1]!.headers[IDEMPOTENCY_HEADER], 'the resolution is a new delivery');
    assert.equal(h.http.seen[0]!.headers[SIGNATURE_HEADER], undefined, 'no signature without a secret');
  });

  it('retries timeouts and refused connections like 5xx', async () => {
    const h = notifierHarness({ webhooks: [webhook(A, { timeoutSeconds: 2 })] });
    h.http.script(A, 'refused', 'timeout', 200);
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(20));
    // refused at 0 -> retry at 1; that one times out at 3 -> retry 2 s later, at 5.
    assert.deepEqual(
      h.http.timeline(T0).map(([at, , , reply]) => [at, reply]),
      [
        [0, 'refused'],
        [1, 'timeout'],
        [5, 200],
      ],
    );
    assert.equal(await h.deliveries('retry'), 2);
    assert.equal(await h.deliveries('success'), 1);
  });

  for (const status of [400, 401, 404, 422, 429]) {
    it(`never retries a ${status}`, async () => {
      const h = notifierHarness({ webhooks: [webhook(A)] });
      h.http.script(A, status, 200);
      h.notifier.start();
      h.notifier.notify([firing(s(-60))]);
      await runUntil(h.clock, s(3600));
      assert.equal(h.http.seen.length, 1);
      assert.equal(await h.deliveries('rejected_4xx'), 1);
      assert.equal(await h.deliveries('retry'), 0);
      assert.deepEqual(h.outbox.all(), []);
    });
  }

  it('gives up after maxAttempts with the backoff capped at backoffMaxSeconds, and counts it', async () => {
    const h = notifierHarness({ webhooks: [webhook(A, { maxAttempts: 6, backoffInitialSeconds: 1, backoffMaxSeconds: 4 })] });
    h.http.script(A, 502);
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(3600));
    assert.deepEqual(
      h.http.timeline(T0).map(([at]) => at),
      [0, 1, 3, 7, 11, 15],
    );
    assert.equal(await h.deliveries('retry'), 5);
    assert.equal(await h.deliveries('failed'), 1);
    assert.deepEqual(h.outbox.all(), []);
    assert.equal(h.clock.pendingCount, 0);
  });

  it('replaces a firing delivery waiting in backoff with the resolution, which goes out at once', async () => {
    const h = notifierHarness({ webhooks: [webhook(A)] });
    h.http.script(A, 503, 200);
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(0.5));
    h.notifier.notify([resolved(s(-60), s(0.5))]);
    await runUntil(h.clock, s(10));
    assert.deepEqual(h.http.timeline(T0), [
      [0, '/hook', 'firing', 503],
      [0.5, '/hook', 'resolved', 200],
    ]);
    assert.equal(h.notifier.pendingCount, 0);
  });

  it('holds the next state of an alert until its request in flight has ended, so the receiver sees them in order', async () => {
    const h = notifierHarness({ webhooks: [webhook(A)] });
    h.http.script(A, { status: 200, afterMs: 2000 }, 200);
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(0.1));
    h.notifier.notify([resolved(s(-60), s(0.1)), firing(s(0), { task: 'web' })]);
    await runUntil(h.clock, s(5));
    assert.deepEqual(
      h.http.timeline(T0).map(([at, , status]) => [at, status]),
      [
        [0, 'firing'],
        [0.1, 'firing'], // task web: another alert, not held
        [2, 'resolved'],
      ],
    );
  });

  it('keeps webhooks independent: one receiver down does not hold up another, and keys differ per webhook', async () => {
    const h = notifierHarness({ webhooks: [webhook(A), webhook(B)] });
    h.http.script(A, 503).script(B, 200);
    h.notifier.start();
    h.notifier.notify([firing(s(-60)), firing(s(-30), { node: 'edge-2' })]);
    await runUntil(h.clock, s(2));
    const toB = h.http.seen.filter((r) => r.url === B);
    assert.deepEqual(toB.map((r) => r.atMs - T0), [0, 0]);
    assert.equal(h.http.seen.filter((r) => r.url === A).length, 4, 'A: two alerts, each tried at 0 and 1 s');
    const keyOf = (url: string) => h.http.seen.find((r) => r.url === url)!.headers[IDEMPOTENCY_HEADER];
    assert.notEqual(keyOf(A), keyOf(B));
  });

  it('gives a re-sent alert state the same idempotency key, and a new episode a new one', async () => {
    const h = notifierHarness({ webhooks: [webhook(A)] });
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(1));
    h.notifier.notify([firing(s(-60))]);
    await runUntil(h.clock, s(2));
    h.notifier.notify([firing(s(2))]);
    await runUntil(h.clock, s(3));
    const keys = h.http.seen.map((r) => r.headers[IDEMPOTENCY_HEADER]);
    assert.equal(keys.length, 3);
    assert.equal(keys[0], keys[1]);
    assert.notEqual(keys[1], keys[2]);
  });

  it('refuses an invalid alert state without throwing, and counts it as failed', async () => {
    const h = notifierHarness({ webhooks: [webhook(A)] });
    h.notifier.start();
    h.notifier.notify([{ ...firing(0), labels: { node: 'edge-1' } }, { ...firing(0), status: 'resolved' }]);
    await runUntil(h.clock, s(1));
    assert.equal(h.http.seen.length, 0);
    assert.equal(await h.deliveries('failed'), 2);
  });

  it('flush() waits for open requests; stop() leaves deliveries in backoff queued', async () => {
    const h = notifierHarness({ webhooks: [webhook(A)] });
    h.http.script(A, { status: 503, afterMs: 100 });
    h.notifier.start();
    h.notifier.notify([firing(s(-60))]);
    const flushed = h.notifier.flush();
    h.clock.advance(100);
    await flushed;
    assert.equal(await h.deliveries('retry'), 1);
    await h.notifier.stop();
    assert.equal(h.outbox.all().length, 1);
    assert.equal(h.clock.pendingCount, 0, 'stop clears the retry timer');
  });
});

describe('WebhookNotifier outbox across restarts', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('resumes a delivery in backoff after a restart, at its scheduled time, with the same key and the next attempt number', async () => {
    const path = join(tmp.dir, 'outbox.db');
    const clock = new FakeClock(T0);
    const first = notifierHarness({ webhooks: [webhook(A)], outboxPath: path, clock });
    first.http.script(A, 503);
    first.notifier.start();
    first.notifier.notify([firing(s(-60))]);
    await runUntil(clock, s(0.5));
    await first.notifier.stop();
    first.outbox.close();

    const http = new ScriptedHttp(clock).script(A, 200);
    const second = notifierHarness({ webhooks: [webhook(A)], outboxPath: path, clock, http });
    second.notifier.start();
    assert.equal(second.notifier.pendingCount, 1);
    await runUntil(clock, s(5));
    assert.deepEqual(http.seen.map((r) => [(r.atMs - T0) / 1000, r.headers[ATTEMPT_HEADER]]), [[1, '2']]);
    assert.equal(http.seen[0]!.headers[IDEMPOTENCY_HEADER], first.http.seen[0]!.headers[IDEMPOTENCY_HEADER]);
    assert.equal(http.seen[0]!.body, first.http.seen[0]!.body, 'the exact bytes are resent');
    assert.deepEqual(second.outbox.all(), []);
    second.outbox.close();
  });

  it('delivers after a crash what notify() had accepted before any attempt was made', async () => {
    const path = join(tmp.dir, 'outbox.db');
    const clock = new FakeClock(T0);
    const first = notifierHarness({ webhooks: [webhook(A)], outboxPath: path, clock });
    first.notifier.notify([firing(s(-60)), resolved(s(-120), s(-10), { task: 'db' })]); // not started: nothing sent
    first.outbox.close(); // the process dies without stop()

    const second = notifierHarness({ webhooks: [webhook(A)], outboxPath: path, clock });
    second.notifier.start();
    await runUntil(clock, s(0));
    assert.deepEqual(second.http.timeline(T0).map(([at, , status]) => [at, status]).sort(), [
      [0, 'firing'],
      [0, 'resolved'],
    ]);
    second.outbox.close();
  });

  it('drops, counts and logs queued deliveries of a webhook no longer configured', async () => {
    const path = join(tmp.dir, 'outbox.db');
    const clock = new FakeClock(T0);
    const first = notifierHarness({ webhooks: [webhook(A)], outboxPath: path, clock });
    first.notifier.notify([firing(s(-60))]);
    first.outbox.close();
    const second = notifierHarness({ webhooks: [webhook(B)], outboxPath: path, clock });
    second.notifier.start();
    await runUntil(clock, s(1));
    assert.equal(second.http.seen.length, 0);
    assert.equal(await second.deliveries('failed'), 1);
    assert.deepEqual(second.outbox.all(), []);
    second.outbox.close();
    const reopened = new SqliteWebhookOutbox(path);
    assert.deepEqual(reopened.all(), [], 'the row is gone from the file too');
    reopened.close();
  });
});
