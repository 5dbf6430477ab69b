// Edge autonomy (issue 15): with the link up, a fault both the node and the collector see (a rule scoped
// both) is acted on once: the node leaves it to the collector, which restarts the task exactly once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STREAK_BOTH, webTask, useStartedRig } from '../support/edge-harness.js';
import { eventually } from '../support/wait.js';

describe('edge autonomy: the same fault seen by both sides with the link up', () => {
  const s = useStartedRig(STREAK_BOTH, (p) => webTask(p));

  it('restarts exactly once', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = s.rig!;
    const x = s.fx!;
    assert.equal(await x.sum('edgewatch_exporter_cloud_link_up'), 1);
    const startsBefore = await x.sum('edgewatch_task_starts_total', { task: 'web' });
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`http://127.0.0.1:${s.port}/fail`)).status, 500);
    const incident = await eventually('the collector\'s incident resolved', async () => {
      const { incidents } = await r.api<{ incidents: Array<{ rule: string; origin: string; status: string; actions: Array<{ type: string; result: string; verified?: boolean }> }> }>('/api/incidents');
      const i = incidents.find((v) => v.rule === 'consecutive-5xx');
      return i?.status === 'resolved' && i;
    }, { timeoutMs: 30_000 });
    assert.equal(incident.origin, 'cloud');
    assert.deepEqual(incident.actions.map((a) => [a.type, a.result, a.verified]), [['restart', 'done', true]]);
    await new Promise((res) => setTimeout(res, 3000)); // anything late would have acted by now
    assert.equal(await x.sum('edgewatch_task_starts_total', { task: 'web' }), startsBefore + 1, 'exactly one restart');
    assert.equal(await x.sum('edgewatch_exporter_local_actions_total'), 0, 'the node took no action of its own');
    assert.equal(await x.sum('edgewatch_exporter_local_incidents_open'), 0);
    const { incidents } = await r.api<{ incidents: unknown[] }>('/api/incidents');
    assert.equal(incidents.length, 1, 'one incident');
  });
});
