// Edge autonomy (issue 15): a bad version rolled out while the collector is away crash-loops; the node
// rolls it back to the previous version on its own, verifies it, and reports it when the collector returns.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import { describe, it } from 'node:test';
import { signCommand } from '../../protocol/commands.js';
import { topics } from '../../protocol/topics.js';
import { webTask, useStartedRig } from '../support/edge-harness.js';
import { fixture } from '../support/paths.js';
import { eventually } from '../support/wait.js';

const CRASH_LOOP_BOTH = `rules:
  - name: crash-loop
    kind: crashloop
    count: 3
    window: 5m
    action: rollback
    severity: critical
    scope: both
`;

describe('edge autonomy: a bad version rolled out offline', () => {
  const s = useStartedRig(CRASH_LOOP_BOTH, (p) => webTask(p, 'app', '    version: v1\n    backoff: {initialSeconds: 0.2, maxSeconds: 0.4}\n'));

  it('rolls back to the previous version after the crash loop, verifies, and reports it', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = s.rig!;
    const x = s.fx!;
    await r.stopCollector();
    await eventually('the node to see its link down', async () => (await x.sum('edgewatch_exporter_cloud_link_up')) === 0);
    // v2, signed by the cloud before it went away and delivered by the broker: it crashes 0.3 s after start
    const now = Date.now();
    const apply = signCommand(
      {
        id: randomUUID(),
        type: 'apply',
        node: r.node,
        task: 'app',
        spec: { name: 'app', version: 'v2', command: ['node', fixture('crash.js')], env: { DELAY_MS: '300' }, backoff: { initialSeconds: 0.2, maxSeconds: 0.4 } },
        issuedAt: now,
        expiresAt: now + 60_000,
        epoch: 1,
      },
      r.keys.signing,
    );
    const client = await connectAsync(r.broker.url, { clientId: `test-${randomUUID().slice(0, 8)}` });
    await client.publishAsync(topics.commands(r.node), JSON.stringify(apply), { qos: 1 });
    await client.endAsync();
    await eventually('v2 running', async () => (await x.sum('edgewatch_task_version_info', { task: 'app', version: 'v2' })) === 1);
    const rolledBack = await eventually(
      'the node to roll back on its own',
      async () => (await x.sum('edgewatch_exporter_local_actions_total', { action: 'rollback', result: 'done' })) === 1 && (await x.sum('edgewatch_task_version_info', { task: 'app', version: 'v1' })) === 1,
      { timeoutMs: 20_000 },
    );
    assert.ok(rolledBack);
    await eventually('v1 serving again', async () => (await fetch(`http://127.0.0.1:${s.port}/`)).ok);
    await eventually('the local incident verified and closed', async () => (await x.sum('edgewatch_exporter_local_incidents_open')) === 0);
    assert.equal(await x.sum('edgewatch_exporter_local_actions_total', { action: 'restart' }), 0, 'a crash loop starts at rollback');

    await r.startCollector();
    const incident = await eventually('the rollback reported', async () => {
      const { incidents } = await r.api<{ incidents: Array<{ rule: string; origin: string; status: string; actions: Array<{ type: string; result: string; version?: string; verified?: boolean }>; edge?: { late: boolean } }> }>('/api/incidents');
      const i = incidents.find((v) => v.rule === 'crash-loop' && v.origin === 'edge');
      return i?.status === 'resolved' && i;
    });
    assert.deepEqual(incident.actions.map((a) => [a.type, a.result, a.version, a.verified]), [['rollback', 'done', 'v1', true]]);
    assert.equal(incident.edge!.late, true);
    // the collector sees app at v1 again: what the node runs now
    await eventually('the node reports v1 to the collector', async () => {
      const { nodes } = await r.api<{ nodes: Array<{ node: string; tasks: Array<{ name: string; version: string; state: string }> }> }>('/api/nodes');
      const task = nodes.find((n) => n.node === r.node)?.tasks.find((tk) => tk.name === 'app');
      return task?.version === 'v1' && task.state === 'running';
    });
  });
});
