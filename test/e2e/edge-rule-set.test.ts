// Edge autonomy (issue 15): the collector distributes its edge-scoped rules to the node, signed and
// versioned; the node verifies and persists the set, and after a restart with the link down it runs the
// last set it verified (and acts on it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ruleSetSchema } from '../../protocol/rule-set.js';
import { startedRig, webTask, type EdgeRig } from '../support/edge-harness.js';
import type { FaultExporter } from '../support/fault-exporter.js';
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
  let rig: EdgeRig | undefined;
  let fx: FaultExporter | undefined;
  let skip: string | false = false;
  let port = 0;
  before(async () => {
    const r = await startedRig(streak(6), (p) => webTask(p), { exporter: 'rules: {verifySeconds: 1}' });
    if ('skip' in r) {
      skip = r.skip;
      return;
    }
    ({ rig, fx, port } = r);
  });
  after(async () => {
    await rig?.stop();
  });

  it('takes a new version, keeps it on disk, and acts on it after a restart with the collector gone', async (t) => {
    if (skip) return t.skip(skip);
    const r = rig!;
    await eventually('version 1 on the node', async () => (await fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) === 1);
    assert.equal(await r.collectorMetric('edgewatch_collector_edge_rule_set_version'), 1);

    r.writeRules(streak(3));
    await r.stopCollector();
    await r.startCollector();
    assert.equal(await r.collectorMetric('edgewatch_collector_edge_rule_set_version'), 2, 'a change to the edge rules is a new version');
    await eventually('version 2 on the node', async () => (await fx!.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) === 2);
    await eventually('the collector sees the node on version 2', async () => (await r.collectorMetric('edgewatch_collector_node_rule_set_version', { node: r.node, source: 'cloud' })) === 2);
    const saved = ruleSetSchema.parse(JSON.parse(readFileSync(join(r.dir, 'exporter', 'state', 'edge-rules.json'), 'utf8')));
    assert.equal(saved.version, 2);
    assert.deepEqual(saved.rules.map((x) => [x.name, x.count]), [['streak-edge', 3]], 'only the edge-scoped rules, as written');
    assert.equal(await fx!.sum('edgewatch_exporter_rule_sets_received_total', { result: 'accepted' }) >= 2, true);

    await r.stopCollector();
    await fx!.stop();
    fx = await r.startExporter(webTask(port), 'rules: {verifySeconds: 1}');
    assert.equal(await fx.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' }), 2, 'the persisted set, verified again at start');
    assert.equal(await fx.sum('edgewatch_exporter_cloud_link_up'), 0);
    await eventually('the task to serve', async () => (await fetch(`http://127.0.0.1:${port}/`)).ok);
    const startsBefore = await fx.sum('edgewatch_task_starts_total', { task: 'web' });
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`http://127.0.0.1:${port}/fail`)).status, 500);
    await eventually('a local restart on the third 5xx (version 2 says three)', async () => (await fx!.sum('edgewatch_exporter_local_actions_total', { action: 'restart', result: 'done' })) === 1);
    assert.equal(await fx.sum('edgewatch_task_starts_total', { task: 'web' }), startsBefore + 1);
  });
});
