// Edge autonomy (issue 15): the collector distributes its edge-scoped rules to the node, signed and
// versioned; the node verifies and persists the set, and after a restart with the link down it runs the
// last set it verified (and acts on it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ruleSetSchema } from '../../protocol/rule-set.js';
import { webTask, useStartedRig } from '../support/edge-harness.js';
import { eventually } from '../support/wait.js';

const streak = (count: number) => `rules:
  - name: streak-edge
    kind: consecutive
    match: {status: ">=500"}
    count: ${count}
    action: restart
    scope: edge
  - name: error-burst
    kind: count
    match: {level: error}
    count: 100
    window: 1m
`;

describe('edge rule set: pushed, verified, persisted, and used after a restart without a link', () => {
  const s = useStartedRig(streak(6), (p) => webTask(p), () => ({ exporter: 'rules: {verifySeconds: 1}' }));

  it('takes a new version, keeps it on disk, and acts on it after a restart with the collector gone', async (t) => {
    if (s.skip) return t.skip(s.skip);
    const r = s.rig!;
    await eventually('version 1 on the node', async () => (await s.fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) === 1);
    assert.equal(await r.collectorMetric('edgewatch_collector_edge_rule_set_version'), 1);

    r.writeRules(streak(3));
    await r.stopCollector();
    await r.startCollector();
    assert.equal(await r.collectorMetric('edgewatch_collector_edge_rule_set_version'), 2, 'a change to the edge rules is a new version');
    await eventually('version 2 on the node', async () => (await s.fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) === 2);
    await eventually('the collector sees the node on version 2', async () => (await r.collectorMetric('edgewatch_collector_node_rule_set_version', { node: r.node, source: 'cloud' })) === 2);
    const saved = ruleSetSchema.parse(JSON.parse(readFileSync(join(r.dir, 'exporter', 'state', 'edge-rules.json'), 'utf8')));
    assert.equal(saved.version, 2);
    assert.deepEqual(saved.rules.map((x) => [x.name, x.count]), [['streak-edge', 3]], 'only the edge-scoped rules, as written');
    assert.equal(await s.fx!.sum('edgewatch_exporter_rule_sets_received_total', { result: 'accepted' }) >= 2, true);

    await r.stopCollector();
    await s.fx!.stop();
    s.fx = await r.startExporter(webTask(s.port), 'rules: {verifySeconds: 1}');
    assert.equal(await s.fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' }), 2, 'the persisted set, verified again at start');
    assert.equal(await s.fx!.sum('edgewatch_exporter_cloud_link_up'), 0);
    await eventually('the task to serve', async () => (await fetch(`http://127.0.0.1:${s.port}/`)).ok);
    const startsBefore = await s.fx!.sum('edgewatch_task_starts_total', { task: 'web' });
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`http://127.0.0.1:${s.port}/fail`)).status, 500);
    await eventually('a local restart on the third 5xx (version 2 says three)', async () => (await s.fx!.sum('edgewatch_exporter_local_actions_total', { action: 'restart', result: 'done' })) === 1);
    assert.equal(await s.fx!.sum('edgewatch_task_starts_total', { task: 'web' }), startsBefore + 1);
  });
});
