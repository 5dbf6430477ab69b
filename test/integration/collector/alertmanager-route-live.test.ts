import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { alertmanagerRoutes } from '../../../collector/api/alertmanager-route.js';
import { alertStateSchema } from '../../../collector/notify/alert-state.js';
import { webhookBody } from '../../../collector/notify/webhook-body.js';
import type { AlertSignal } from '../../../common/rules/signals.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { alertFingerprint, alertWebhookSchema, ZERO_TIME } from '../../../protocol/alert-webhook.js';
import { requireBinary } from '../../support/components.js';
import { firing } from '../../support/notify-harness.js';
import { tempDir } from '../../support/paths.js';
import { parseExposition, sampleValue } from '../../support/prom-text.js';
import { eventually } from '../../support/wait.js';
import { run } from '../ops/ops-support.js';
import { startAlertmanager, webhookRecorder, type Daemon } from '../../support/daemons.js';

const LABELS = { alertname: 'EdgewatchTaskDown', node: 'edge-7', task: 'checkout', severity: 'critical' };

// Wire compatibility with the real thing: Alertmanager posts to POST /api/alertmanager (bearer auth through
// its http_config), and what it posts has exactly the shape the collector's own notifier sends.
describe('a real Alertmanager posting to POST /api/alertmanager', () => {
  const skip = requireBinary('prometheus-alertmanager', ['--version']);
  const amtool = requireBinary('amtool');
  const received: AlertSignal[] = [];
  const registry = new Registry();
  let tmp: ReturnType<typeof tempDir>;
  let server: Server | undefined;
  let recorder: Awaited<ReturnType<typeof webhookRecorder>> | undefined;
  let am: Daemon | undefined;
  let amUrl = '';

  before(async () => {
    if (skip.skip || amtool.skip) return;
    tmp = tempDir('edgewatch-am-route-');
    const app = express();
    app.use(alertmanagerRoutes({ onAlerts: (signals) => void received.push(...signals), clock: systemClock, registry, logger: silentLogger }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server!.once('listening', r));
    const routeUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/alertmanager`;
    recorder = await webhookRecorder();
    const config = {
      route: { receiver: 'edgewatch-collector', group_by: ['alertname', 'node', 'task'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
      receivers: [
        {
          name: 'edgewatch-collector',
          webhook_configs: [
            { url: routeUrl, send_resolved: true },
            { url: `${recorder.url}/raw`, send_resolved: true },
          ],
        },
      ],
    };
    writeFileSync(join(tmp.dir, 'alertmanager.yml'), stringify(config));
    const started = await startAlertmanager(join(tmp.dir, 'alertmanager.yml'), tmp.dir);
    am = started.daemon;
    amUrl = started.url;
  });
  after(async () => {
    await am?.stop();
    await recorder?.close();
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    tmp?.cleanup();
  });

  const labelArgs = Object.entries(LABELS).map(([k, v]) => `${k}=${v}`);
  const amtoolAdd = (extra: string[]) => {
    const r = run('amtool', ['alert', 'add', ...labelArgs, '--annotation=summary=checkout on edge-7 is down', '--generator-url=http://prometheus.test/graph', `--alertmanager.url=${amUrl}`, ...extra]);
    assert.equal(r.status, 0, r.message);
  };

  it('accepts the firing and the resolved notification, with Alertmanager\'s fingerprint and times', { skip: skip.skip || amtool.skip }, async () => {
    const before = Date.now();
    amtoolAdd([]);
    const fired = await eventually('the firing alert reached the route', () => received.find((s) => s.status === 'firing'), { timeoutMs: 20_000 });
    assert.deepEqual(fired.labels, LABELS);
    assert.deepEqual(fired.annotations, { summary: 'checkout on edge-7 is down' });
    assert.equal(fired.fingerprint, alertFingerprint(LABELS), 'our fingerprint function agrees with Alertmanager');
    assert.ok(fired.startsAt >= before - 1000 && fired.startsAt <= Date.now(), `startsAt ${fired.startsAt} parsed from Alertmanager's time`);

    amtoolAdd([`--end=${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`]);
    const done = await eventually('the resolution reached the route', () => received.find((s) => s.status === 'resolved'), { timeoutMs: 20_000 });
    assert.equal(done.fingerprint, fired.fingerprint);
    assert.equal(done.startsAt, fired.startsAt);
    const accepted = sampleValue(parseExposition(await registry.metrics()), 'edgewatch_collector_alertmanager_received_total', { result: 'accepted' });
    assert.ok(accepted !== undefined && accepted >= 2);
    assert.equal(sampleValue(parseExposition(await registry.metrics()), 'edgewatch_collector_alertmanager_received_total', { result: 'unauthorized' }), 0);
  });

  it('sends bodies with exactly the fields the collector\'s notifier sends', { skip: skip.skip || amtool.skip }, async () => {
    const bodies = await eventually('the recorder has both notifications', () => {
      const b = recorder!.bodies.map((x) => x.body as Record<string, unknown>);
      return b.some((x) => x.status === 'resolved') && b;
    });
    const ours = JSON.parse(JSON.stringify(webhookBody(alertStateSchema.parse(firing(Date.now())), { receiver: 'r', externalURL: 'http://c' }))) as Record<string, unknown>;
    const keys = (o: unknown) => Object.keys(o as object).sort();
    for (const body of bodies) {
      const parsed = alertWebhookSchema.parse(body);
      assert.deepEqual(keys(body), keys(ours), 'top-level fields');
      const [alert] = body.alerts as unknown[];
      assert.deepEqual(keys(alert), keys((ours.alerts as unknown[])[0]), 'alert fields');
      assert.equal(parsed.groupKey.endsWith(':{alertname="EdgewatchTaskDown", node="edge-7", task="checkout"}'), true, parsed.groupKey);
      assert.deepEqual(parsed.groupLabels, { alertname: 'EdgewatchTaskDown', node: 'edge-7', task: 'checkout' });
      if (parsed.status === 'firing') assert.equal(parsed.alerts[0]!.endsAt, ZERO_TIME);
      else assert.notEqual(parsed.alerts[0]!.endsAt, ZERO_TIME);
    }
  });
});
