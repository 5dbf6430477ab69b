// Prometheus alerts reach the same remediation: an Alertmanager v4 webhook naming a task alert opens an
// incident that restarts the task, and the resolved webhook ends it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPair, type ControlPair } from '../support/control-harness.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../support/mosquitto.js';
import { fixture } from '../support/paths.js';
import { eventually } from '../support/wait.js';

function body(status: 'firing' | 'resolved', labels: Record<string, string>) {
  const alert = {
    status,
    labels,
    annotations: { summary: '5xx ratio above 5%' },
    startsAt: '2026-11-24T10:00:00Z',
    endsAt: status === 'firing' ? '0001-01-01T00:00:00Z' : '2026-11-24T10:05:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: '0123456789abcdef',
  };
  return { version: '4', groupKey: '{}:{alertname="EdgewatchTaskHighErrorRatio"}', truncatedAlerts: 0, status, receiver: 'edgewatch-collector', groupLabels: {}, commonLabels: labels, commonAnnotations: {}, externalURL: 'http://alertmanager:9093', alerts: [alert] };
}

describe('an Alertmanager webhook drives remediation', () => {
  let p: ControlPair | undefined;
  let skip: string | false = false;
  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    p = await startControlPair(SHARED_MOSQUITTO, `  - name: web\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 0}\n`, '', 'remediation: {verifySeconds: 1}');
  });
  after(() => p?.stop());

  it('EdgewatchTaskHighErrorRatio restarts the task; the resolved alert closes the incident', async (t) => {
    if (skip) return t.skip(skip);
    const labels = { alertname: 'EdgewatchTaskHighErrorRatio', node: p!.node, task: 'web', severity: 'critical' };
    const posted = await p!.api<{ status: string }>('/api/alertmanager', { method: 'POST', body: body('firing', labels) });
    assert.equal(posted.status, 200);
    const incident = await eventually('a restart for the alert', async () => {
      const { body: b } = await p!.api<{ incidents: Array<{ id: string; rule: string; status: string; actions: Array<{ type: string; result: string }> }> }>('/api/incidents');
      const i = b.incidents.find((x) => x.rule === 'prometheus-task-errors');
      return i?.actions.some((a) => a.type === 'restart' && a.result === 'done') && i;
    });
    assert.equal(await p!.metric('edgewatch_task_restarts_total', { task: 'web', reason: 'Command' }), 1);
    await p!.api('/api/alertmanager', { method: 'POST', body: body('resolved', labels) });
    await eventually('the incident to resolve', async () => (await p!.api<{ status: string }>(`/api/incidents/${incident.id}`)).body.status === 'resolved');
  });
});
