// Issue 10: one 1.5 MB POST of 5,000 alerts opened the fleet-wide circuit breaker and withheld real
// remediation; 2,000 POSTed commands took the collector from 94 to 472 MB. Alerts per body, alerts and
// commands per caller, waiting requests and new incidents per minute are now capped.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';

/** Heap still in use after a full garbage collection: what the process keeps, not what it threw away. */
function retainedHeap(): number {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  return process.memoryUsage().heapUsed;
}

function webhook(n: number, first = 0) {
  const alerts = Array.from({ length: n }, (_, i) => ({
    status: 'firing',
    labels: { alertname: 'EdgewatchTaskHighErrorRatio', node: `ghost-${first + i}`, task: 'api' },
    annotations: {},
    startsAt: new Date().toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus/graph',
    fingerprint: (first + i).toString(16).padStart(16, '0'),
  }));
  return { version: '4', status: 'firing', receiver: 'edgewatch-collector', groupKey: 'g', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts };
}

describe('API floods', () => {
  let c: SecureCollector;
  before(async () => {
    c = await startSecureCollector([
      'http: {listen: "127.0.0.1:0", limits: {commandsPerMinute: 60, commandsBurst: 20, maxWaitingCommands: 50}}',
      'alertmanager: {alertsPerMinute: 100000}',
      'remediation: {maxNewIncidentsPerMinute: 20}',
    ]);
  });
  after(async () => c?.stop());
  const metric = async (name: string, labels: Record<string, string> = {}) => sampleValue(parseExposition(await c.collector.registry.metrics()), name, labels) ?? 0;

  it('5,000 alerts in one body are a 413 naming the cap; nothing is taken and the breaker stays closed', async () => {
    const r = await c.call('/api/alertmanager', { token: c.tokens.alertmanager, body: webhook(5000) });
    assert.equal(r.status, 413);
    assert.match(r.body.message!, /5000 alerts in one body, at most 1000 \(alertmanager\.maxAlertsPerRequest/);
    assert.equal(await metric('edgewatch_collector_incidents', { status: 'firing' }), 0);
    assert.equal(await metric('edgewatch_collector_breaker_open'), 0);
  });

  it('new incidents are capped per minute: a flood of alert keys opens at most the cap, the rest are counted', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await c.call('/api/alertmanager', { token: c.tokens.alertmanager, body: webhook(100, i * 100) })).status, 200);
    await new Promise((r) => setTimeout(r, 50));
    const open = (await c.call<{ incidents: unknown[] }>('/api/incidents?limit=1000', { token: c.tokens.viewer })).body.incidents.length;
    assert.equal(open, 20, 'remediation.maxNewIncidentsPerMinute');
    assert.equal(await metric('edgewatch_collector_incidents_suppressed_total', { rule: 'prometheus-task-errors' }), 480);
    assert.equal(await metric('edgewatch_collector_breaker_open'), 0, 'made-up nodes are not the fleet');
  });

  it('2,000 commands from one caller: the burst is sent, the rest get 429, and memory stays bounded', async () => {
    const before = retainedHeap();
    const t0 = Date.now();
    // 50 callers' worth of connections at a time, 2,000 requests in all
    const answers: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (answers.length < 2000) {
          answers.push(0);
          const r = await c.call('/api/commands', { token: c.tokens.operator, body: { node: 'edge-1', task: 'web', type: 'restart', wait: true, timeoutSeconds: 1 } });
          answers[answers.indexOf(0)] = r.status;
        }
      }),
    );
    const sent = answers.filter((s) => s !== 429).length;
    const refill = Math.ceil((Date.now() - t0) / 1000); // 60 a minute
    assert.ok(sent <= 20 + refill, `at most the burst (20) plus ${refill} refilled was taken, got ${sent}`);
    assert.ok(answers.filter((s) => s === 429).length >= 2000 - 20 - refill);
    const growthMB = (retainedHeap() - before) / 1e6;
    assert.ok(growthMB < 10, `the collector kept ${growthMB.toFixed(1)} MB after the flood`);
  });
});
