import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import { alertmanagerRoutes } from '../../../collector/api/alertmanager-route.js';
import { NodeHttpPost } from '../../../collector/notify/node-http-post.js';
import { SqliteWebhookOutbox } from '../../../collector/notify/sqlite-outbox.js';
import { WebhookNotifier } from '../../../collector/notify/webhook-notifier.js';
import { signatureHeader } from '../../../collector/notify/webhook-signature.js';
import type { AlertSignal } from '../../../common/rules/signals.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { alertFingerprint } from '../../../protocol/alert-webhook.js';
import { firing, resolved, webhook } from '../../support/notify-harness.js';
import { parseExposition, sampleValue } from '../../support/prom-text.js';
import { eventually } from '../../support/wait.js';

const SECRET = 'route-secret-0123456789abcdef';
const LABELS = { alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api', severity: 'critical' };

/** A body as Alertmanager 0.25 writes it: nanosecond times with an offset, a trailing newline. */
const AM_BODY =
  JSON.stringify({
    receiver: 'edgewatch-collector',
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: LABELS,
        annotations: { summary: 'api on edge-1 is down' },
        startsAt: '2026-01-01T01:00:00.123456789+01:00',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=up',
        fingerprint: alertFingerprint(LABELS),
      },
    ],
    groupLabels: { alertname: 'EdgewatchTaskDown', node: 'edge-1', task: 'api' },
    commonLabels: LABELS,
    commonAnnotations: { summary: 'api on edge-1 is down' },
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: '{}/{}:{alertname="EdgewatchTaskDown", node="edge-1", task="api"}',
    truncatedAlerts: 0,
  }) + '\n';

async function serve(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('POST /api/alertmanager through express', () => {
  const received: AlertSignal[][] = [];
  let fail = false;
  const registries: Record<string, Registry> = {};
  const urls: Record<string, string> = {};
  const servers: Server[] = [];

  before(async () => {
    const variants = { open: {}, signed: { secret: SECRET }, small: { maxBodyBytes: 1024 }, capped: { maxAlertsPerRequest: 2, alertsPerMinute: 3 } };
    for (const [name, auth] of Object.entries(variants)) {
      const registry = new Registry();
      const app = express();
      app.use(
        alertmanagerRoutes({
          onAlerts: async (signals) => {
            if (fail) throw new Error('incident store unavailable');
            received.push(signals);
          },
          clock: systemClock,
          registry,
          logger: silentLogger,
          ...auth,
        }),
      );
      const { server, url } = await serve(app);
      servers.push(server);
      registries[name] = registry;
      urls[name] = url;
    }
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  beforeEach(() => {
    received.length = 0;
    fail = false;
  });

  const post = async (variant: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${urls[variant]}/api/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, headers: res.headers, body: (await res.json()) as { status?: string; alerts?: number; error?: string; message?: string } };
  };
  const count = async (variant: string, result: string) =>
    sampleValue(parseExposition(await registries[variant]!.metrics()), 'edgewatch_collector_alertmanager_received_total', { result });

  it('accepts an Alertmanager body and hands each alert on as a signal, answering 200 after onAlerts', async () => {
    const before = Date.now();
    const res = await post('open', AM_BODY);
    assert.deepEqual([res.status, res.body], [200, { status: 'ok', alerts: 1 }]);
    assert.equal(received.length, 1);
    const [signal] = received[0]!;
    assert.ok(signal!.at >= before && signal!.at <= Date.now());
    assert.deepEqual({ ...signal, at: 0 }, {
      kind: 'alert',
      at: 0,
      status: 'firing',
      labels: LABELS,
      annotations: { summary: 'api on edge-1 is down' },
      fingerprint: 'ab094fae4a01f5f3',
      startsAt: Date.UTC(2026, 0, 1, 0, 0, 0, 123),
    });
    assert.equal(await count('open', 'accepted'), 1);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await post('open', '{"version": "4", alerts: [');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'bad_request');
    assert.match(res.body.message!, /^body is not JSON: /);
    assert.equal(await count('open', 'bad_json'), 1);
  });

  it('answers 400 naming the field when the JSON is not a v4 webhook body', async () => {
    const body = JSON.parse(AM_BODY) as { alerts: Array<Record<string, unknown>> };
    body.alerts[0]!.fingerprint = 'not-hex';
    delete body.alerts[0]!.startsAt;
    const res = await post('open', JSON.stringify(body));
    assert.equal(res.status, 400);
    assert.equal(
      res.body.message,
      'not an Alertmanager v4 webhook body: alerts[0].startsAt: is required (string); alerts[0].fingerprint: must be 16 lowercase hex digits',
    );
    const v3 = await post('open', AM_BODY.replace('"version":"4"', '"version":"3"'));
    assert.match(v3.body.message!, /version: must be one of "4"/);
    assert.equal(await count('open', 'bad_schema'), 2);
    assert.equal(received.length, 0);
  });

  it('answers 413 to a body over maxBodyBytes, declared or streamed without a length', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(2000) });
    const declared = await post('small', big);
    assert.equal(declared.status, 413);
    assert.match(declared.body.message!, /body larger than 1024 bytes/);
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${urls.small}/api/alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write('x'.repeat(512));
      req.end();
    });
    assert.equal(streamed, 413);
    assert.equal(await post('small', AM_BODY).then((r) => r.status), 200, 'a normal body still fits');
    assert.equal(await count('small', 'too_large'), 2);
  });

  it('with a secret: 401 without or with a bad signature, 200 with a good one (checked before parsing)', async () => {
    const missing = await post('signed', AM_BODY);
    assert.deepEqual([missing.status, missing.body.message], [401, 'X-Edgewatch-Signature missing']);
    const tampered = await post('signed', AM_BODY.replace('edge-1', 'edge-9'), { 'x-edgewatch-signature': signatureHeader(SECRET, AM_BODY, Date.now()) });
    assert.deepEqual([tampered.status, tampered.body.message], [401, 'X-Edgewatch-Signature refused (mismatch)']);
    const stale = await post('signed', AM_BODY, { 'x-edgewatch-signature': signatureHeader(SECRET, AM_BODY, Date.now() - 600_000) });
    assert.deepEqual([stale.status, stale.body.message], [401, 'X-Edgewatch-Signature refused (expired)']);
    const garbage = await post('signed', 'not json at all', { 'x-edgewatch-signature': 't=1,v1=00' });
    assert.equal(garbage.status, 401, 'an unsigned body is refused before anyone parses it');
    const good = await post('signed', AM_BODY, { 'x-edgewatch-signature': signatureHeader(SECRET, AM_BODY, Date.now()) });
    assert.equal(good.status, 200);
    assert.equal(received.length, 1);
    assert.equal(await count('signed', 'unauthorized'), 4);
  });

  it('caps alerts per body (413 naming the key) and per caller per minute (429 with Retry-After), taking none of them', async () => {
    const body = JSON.parse(AM_BODY) as { alerts: unknown[] };
    const three = JSON.stringify({ ...body, alerts: [body.alerts[0], body.alerts[0], body.alerts[0]] });
    const before = received.length;
    const big = await post('capped', three);
    assert.equal(big.status, 413);
    assert.match(big.body.message!, /3 alerts in one body, at most 2 \(alertmanager\.maxAlertsPerRequest/);
    const two = JSON.stringify({ ...body, alerts: [body.alerts[0], body.alerts[0]] });
    assert.equal((await post('capped', two)).status, 200);
    const over = await post('capped', two);
    assert.equal(over.status, 429);
    assert.ok(Number(over.headers.get('retry-after')) >= 1);
    assert.equal(received.length, before + 1, 'only the one body within both limits was taken');
    assert.equal(await count('capped', 'rate_limited'), 1);
  });

  it('answers 415 to a compressed or non-JSON body and 400 to JSON null or 5,000-deep nesting, before parsing it', async () => {
    assert.equal((await post('open', AM_BODY, { 'content-encoding': 'gzip' })).status, 415);
    assert.equal((await post('open', AM_BODY, { 'content-type': 'text/plain' })).status, 415);
    const nul = await post('open', 'null');
    assert.deepEqual([nul.status, nul.body.message], [400, 'body must be a JSON object, got null']);
    const deep = await post('open', '['.repeat(5000) + ']'.repeat(5000));
    assert.deepEqual([deep.status, deep.body.message], [400, 'JSON nested deeper than 32 levels']);
  });

  it('answers 500 when onAlerts fails, so Alertmanager retries', async () => {
    fail = true;
    const res = await post('open', AM_BODY);
    assert.equal(res.status, 500);
    assert.match(res.body.message!, /incident store unavailable/);
    assert.equal(await count('open', 'failed'), 1);
  });

  it('takes what the collector\'s own notifier sends, signature and all: firing, then resolved', async () => {
    const registry = new Registry();
    const outbox = new SqliteWebhookOutbox(':memory:');
    const notifier = new WebhookNotifier(
      { webhooks: [webhook(`${urls.signed}/api/alertmanager`, { secret: SECRET })], externalURL: 'http://collector.test:8080' },
      { clock: systemClock, timers: systemClock, http: new NodeHttpPost(), outbox, registry, logger: silentLogger },
    );
    notifier.start();
    try {
      const startsAt = Date.now() - 5000;
      notifier.notify([firing(startsAt)]);
      await eventually('firing received', () => received.length === 1);
      notifier.notify([resolved(startsAt, Date.now())]);
      await eventually('resolved received', () => received.length === 2);
      assert.deepEqual(
        received.map(([s]) => [s!.status, s!.fingerprint, s!.startsAt]),
        [
          ['firing', 'ab094fae4a01f5f3', startsAt],
          ['resolved', 'ab094fae4a01f5f3', startsAt],
        ],
      );
    } finally {
      await notifier.stop();
      outbox.close();
    }
  });
});
