// The heart of edgewatch, end to end through Mosquitto: a task starts answering 5xx, the sixth consecutive
// 5xx makes the collector restart it, the incident resolves once it is healthy, on-call gets a firing and a
// resolved Alertmanager v4 webhook, and one trace holds the failing requests, the command and the edge action.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPair, type ControlPair } from '../support/control-harness.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../support/mosquitto.js';
import { fixture } from '../support/paths.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/wait.js';
import { AlertReceiver } from '../support/alert-receiver.js';

interface IncidentView {
  id: string;
  rule: string;
  status: string;
  labels: Record<string, string>;
  traceId: string;
  actions: Array<{ type: string; result: string; verified?: boolean; commandId?: string }>;
  evidence: { logs: Array<{ status?: number }>; traceIds: string[] };
}

describe('a task answering 5xx is restarted and verified', () => {
  let p: ControlPair | undefined;
  let skip: string | false = false;
  const receiver = new AlertReceiver();
  let port = 0;
  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    const hook = await receiver.start();
    port = await freePort();
    p = await startControlPair(
      SHARED_MOSQUITTO,
      `  - name: web\n    command: [node, ${fixture('http-server.js')}]\n    env: {PORT: ${port}}\n    terminationGracePeriodSeconds: 2\n`,
      '',
      `notify: {webhooks: [{url: "${hook}", backoffInitialSeconds: 0.1}]}\nremediation: {verifySeconds: 2}`,
    );
    await eventually('the task to serve', async () => (await fetch(`http://127.0.0.1:${port}/`)).ok);
  });
  after(async () => {
    await p?.stop();
    await receiver.stop();
  });

  it('restarts on the sixth consecutive 5xx, resolves, notifies, and keeps it all in one trace', async (t) => {
    if (skip) return t.skip(skip);
    const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const headers = { traceparent: `00-${traceId}-00f067aa0ba902b7-01` };
    const startsBefore = await p!.metric('edgewatch_task_starts_total', { task: 'web' });
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/fail`, { headers })).status, 500);
    await eventually('the five failures stored at the collector', async () => {
      const { body } = await p!.api<{ records: Array<{ status?: number }> }>(`/api/logs?node=${p!.node}&task=web&since=2000-01-01T00:00:00Z`);
      return body.records.filter((r) => r.status === 500).length === 5;
    });
    const none = await p!.api<{ incidents: IncidentView[] }>('/api/incidents');
    assert.equal(none.body.incidents.length, 0, 'five consecutive 5xx do not fire');
    assert.equal((await fetch(`http://127.0.0.1:${port}/x`, { headers })).status, 500); // the sixth
    const incident = await eventually('an incident with a restart', async () => {
      const { body } = await p!.api<{ incidents: IncidentView[] }>('/api/incidents');
      const i = body.incidents.find((x) => x.rule === 'consecutive-5xx');
      return i && i.actions.some((a) => a.type === 'restart') && i;
    });
    assert.deepEqual(incident.labels, { node: p!.node, task: 'web' });
    assert.equal(incident.traceId, traceId, 'the incident joins the failing requests\' trace');
    assert.ok(incident.evidence.logs.some((l) => l.status === 500), 'evidence holds the failing requests');
    await eventually('the restarted task to serve again', async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 200);
    assert.equal(await p!.metric('edgewatch_task_starts_total', { task: 'web' }), startsBefore! + 1);
    const resolved = await eventually('the incident to resolve', async () => {
      const { body } = await p!.api<IncidentView>(`/api/incidents/${incident.id}`);
      return body.status === 'resolved' && body;
    });
    assert.deepEqual(resolved.actions.map((a) => [a.type, a.result, a.verified]), [['restart', 'done', true]]);

    const firing = await receiver.waitFor((b) => b.status === 'firing' && b.alerts.some((a) => a.labels.alertname === 'consecutive-5xx'));
    const done = await receiver.waitFor((b) => b.status === 'resolved' && b.alerts.some((a) => a.labels.alertname === 'consecutive-5xx'));
    assert.equal(firing.version, '4');
    assert.equal(firing.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
    assert.equal(done.alerts[0]!.fingerprint, firing.alerts[0]!.fingerprint);
    assert.notEqual(done.alerts[0]!.endsAt, '0001-01-01T00:00:00Z');
    assert.match(firing.alerts[0]!.generatorURL, new RegExp(`/incidents/${incident.id}$`));

    const trace = await eventually('the edge action in the trace', async () => {
      const { body } = await p!.api<{ records: Array<{ msg: string; status?: number; node: string | null; service?: string }> }>(`/api/traces/${traceId}`);
      return body.records.some((r) => r.msg === 'command restart web done' && r.node === p!.node) && body.records;
    });
    assert.equal(trace.filter((r) => r.status === 500).length, 6, 'the six failing requests');
    assert.ok(trace.some((r) => r.service === 'edgewatch-collector' && r.msg === `command restart web on ${p!.node} issued`));
    assert.ok(trace.some((r) => r.service === 'edgewatch-collector' && r.msg === `command restart web on ${p!.node} done`));
  });
});
