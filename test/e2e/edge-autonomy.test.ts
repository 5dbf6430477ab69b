// Edge autonomy end to end (issue 15), with real processes and a real broker: the collector is stopped, a
// task starts answering 5xx, the exporter restarts it itself within 1 s of the sixth 5xx line and verifies
// it; when the collector returns, the edge incident shows in GET /api/incidents with its action and
// timeline, on-call gets firing and resolved marked late, and the backlog of the same lines restarts nothing.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { AlertReceiver } from '../support/alert-receiver.js';
import { STREAK_BOTH, useStartedRig, webTask } from '../support/edge-harness.js';
import { eventually } from '../support/wait.js';

interface EdgeIncidentView {
  id: string;
  rule: string;
  status: string;
  origin: string;
  labels: Record<string, string>;
  actions: Array<{ type: string; result: string; verified?: boolean; commandId?: string; origin?: string; issuedAt: string }>;
  evidence: { logs: Array<{ status?: number }> };
  edge?: { late: boolean; clock: { offsetMs: number; corrected: boolean }; timeline: Array<{ at: string; edgeAt: string; what: string }> };
}

describe('edge autonomy: a 5xx streak with the collector gone', () => {
  const receiver = new AlertReceiver();
  const s = useStartedRig(STREAK_BOTH, (p) => webTask(p), async () => ({
    collector: `notify: {webhooks: [{url: "${await receiver.start()}", backoffInitialSeconds: 0.1}]}\nremediation: {verifySeconds: 2}`,
  }));
  after(() => receiver.stop());

  it('restarts locally within 1 s of the sixth 5xx, verifies, and reports it late once the collector is back', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = s.rig!;
    const x = s.fx!;
    assert.equal(await x.sum('edgewatch_exporter_cloud_link_up'), 1);

    await r.stopCollector();
    await eventually('the node to see its link down', async () => (await x.sum('edgewatch_exporter_cloud_link_up')) === 0);
    const startsBefore = await x.sum('edgewatch_task_starts_total', { task: 'web' });
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`http://127.0.0.1:${s.port}/fail`)).status, 500);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(await x.sum('edgewatch_task_starts_total', { task: 'web' }), startsBefore, 'five 5xx do not fire');
    assert.equal((await fetch(`http://127.0.0.1:${s.port}/x`)).status, 500); // the sixth
    const sixth = Date.now();
    await eventually('the task restarted by the node itself', async () => (await x.sum('edgewatch_task_starts_total', { task: 'web' })) === startsBefore + 1, { intervalMs: 10, timeoutMs: 5000 });
    const restartedMs = Date.now() - sixth;
    assert.ok(restartedMs < 1000, `restarted ${restartedMs} ms after the sixth 5xx (limit 1000 ms)`);
    t.diagnostic(`the node restarted the task ${restartedMs} ms after the sixth 5xx (as seen by polling its /metrics)`);
    await eventually('the task to serve again', async () => (await fetch(`http://127.0.0.1:${s.port}/`)).status === 200);
    await eventually('the local incident verified and closed', async () => (await x.sum('edgewatch_exporter_local_incidents_open')) === 0 && (await x.sum('edgewatch_exporter_local_actions_total', { action: 'restart', result: 'done' })) === 1);

    await r.startCollector();
    const incident = await eventually('the edge incident at the collector', async () => {
      const { incidents } = await r.api<{ incidents: EdgeIncidentView[] }>('/api/incidents');
      const i = incidents.find((v) => v.rule === 'consecutive-5xx' && v.origin === 'edge');
      return i?.status === 'resolved' && i;
    });
    assert.deepEqual(incident.labels, { node: r.node, task: 'web' });
    assert.deepEqual(incident.actions.map((a) => [a.type, a.result, a.verified, a.origin]), [['restart', 'done', true, 'edge']]);
    assert.match(incident.actions[0]!.commandId!, /^edge-/);
    assert.ok(incident.evidence.logs.filter((l) => l.status === 500).length >= 6, 'the edge kept the failing lines as evidence');
    assert.equal(incident.edge!.late, true);
    assert.equal(incident.edge!.clock.corrected, true);
    assert.ok(Math.abs(incident.edge!.clock.offsetMs) < 1000, `one machine, one clock: offset ${incident.edge!.clock.offsetMs} ms`);
    const steps = incident.edge!.timeline.map((e) => e.what);
    assert.match(steps[0]!, /rule consecutive-5xx fired .*link to the collector down/);
    assert.ok(steps.some((s) => /^restart web \(edge-/.test(s)));
    assert.ok(steps.some((s) => s.startsWith('verified')));

    const page = await fetch(`http://127.0.0.1:${r.collectorConfig.http.listen.port}/incidents/${incident.id}`);
    const html = await page.text();
    assert.equal(page.status, 200, html.slice(0, 300));
    assert.match(html, /on the node itself/);
    assert.match(html, /restart done on the node itself \(edge\)/);

    const firing = await receiver.waitFor((b) => b.status === 'firing' && b.alerts.some((a) => a.labels.alertname === 'consecutive-5xx'));
    const resolved = await receiver.waitFor((b) => b.status === 'resolved' && b.alerts.some((a) => a.labels.alertname === 'consecutive-5xx'));
    assert.equal(firing.alerts[0]!.labels.late, 'true');
    assert.equal(resolved.alerts[0]!.labels.late, 'true');
    assert.equal(firing.alerts[0]!.annotations.origin, 'edge');
    assert.match(firing.alerts[0]!.generatorURL, new RegExp(`/incidents/${incident.id}$`));

    // the backlog (the six 5xx lines spooled while the collector was gone) reaches the collector too: its
    // rule fires on it, and the node's claim fences it
    await eventually('the spooled 5xx lines at the collector', async () => {
      const { records } = await r.api<{ records: Array<{ status?: number }> }>(`/api/logs?node=${r.node}&task=web&since=2000-01-01T00:00:00Z`);
      return records.filter((l) => l.status === 500).length === 6;
    });
    await eventually('the collector to fence its own firing', async () => ((await r.collectorMetric('edgewatch_collector_edge_fenced_total')) ?? 0) >= 1);
    await new Promise((res) => setTimeout(res, 4000)); // past the claim grace and a tick
    assert.equal(await x.sum('edgewatch_task_starts_total', { task: 'web' }), startsBefore + 1, 'no second restart');
    const { incidents } = await r.api<{ incidents: EdgeIncidentView[] }>('/api/incidents');
    assert.deepEqual(incidents.map((i) => [i.rule, i.origin]), [['consecutive-5xx', 'edge']], 'one incident, the edge\'s');
    assert.equal(receiver.bodies.filter((b) => b.alerts.some((a) => a.labels.alertname === 'consecutive-5xx')).length, 2, 'one firing, one resolved');
  });
});
