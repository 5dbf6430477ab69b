import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rankNodes } from '../../../../collector/remediation/placement.js';
import { node, remediation } from '../../../support/remediation-harness.js';

describe('migration', () => {
  it('ranks by 0.6 cpu + 0.4 memory forecast plus link latency, after labels, taints and capacity', () => {
    const base = { online: true, labels: { zone: 'a' }, taints: [], tasks: 1, maxTasks: 4, cpuForecast: 0.5, memoryForecast: 0.5, linkLatencyMs: 0, freeMemoryBytes: 4e9 };
    const verdicts = rankNodes(
      [
        { ...base, node: 'busy', cpuForecast: 0.9 },
        { ...base, node: 'idle', cpuForecast: 0.1, memoryForecast: 0.2 },
        { ...base, node: 'far', cpuForecast: 0.1, memoryForecast: 0.2, linkLatencyMs: 400 },
        { ...base, node: 'other-zone', labels: { zone: 'b' }, cpuForecast: 0 },
        { ...base, node: 'tainted', cpuForecast: 0, taints: [{ key: 'gpu', effect: 'NoSchedule' }] },
        { ...base, node: 'full', cpuForecast: 0, tasks: 4 },
        { ...base, node: 'down', cpuForecast: 0, online: false },
        { ...base, node: 'src', cpuForecast: 0 },
      ],
      { nodeSelector: { zone: 'a' }, tolerations: [], exclude: ['src'] },
    );
    assert.deepEqual(verdicts.filter((v) => v.fit).map((v) => v.node), ['idle', 'far', 'busy']);
    const why = Object.fromEntries(verdicts.filter((v) => !v.fit).map((v) => [v.node, (v as { why: string }).why]));
    assert.deepEqual(why, {
      'other-zone': 'label zone=a missing',
      tainted: 'taint gpu:NoSchedule not tolerated',
      full: 'full (4/4 tasks)',
      down: 'offline',
      src: 'excluded (the source)',
    });
  });

  it('moves the tasks of a silent node make-before-break, fences it, and stops the stale copy when it returns', async () => {
    const h = remediation();
    h.declare('edge-1', { name: 'web' });
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }], { status: 'offline' }));
    h.nodes.set('edge-2', node('edge-2', [], { cpuForecast: 0.8 }));
    h.nodes.set('edge-3', node('edge-3', [], { cpuForecast: 0.1 }));
    h.fire({ node: 'edge-1' }, { rule: 'node-heartbeat-lost', action: 'migrate' });
    assert.deepEqual(h.sent.map((c) => [c.node, c.type, c.task]), [['edge-3', 'apply', 'web']], 'the best-scored node');
    await h.sent[0]!.settle('done');
    h.advance(1_000);
    assert.equal(h.sent.length, 1, 'no release before the copy runs on the target');
    h.nodes.set('edge-3', node('edge-3', [{ name: 'web' }]));
    h.advance(1_000);
    assert.deepEqual(h.sent.map((c) => [c.node, c.type]), [['edge-3', 'apply'], ['edge-1', 'release']]);
    assert.equal(h.epochs.get('edge-1'), 2, 'the unreachable source is fenced');
    h.advance(30_000);
    const i = h.book.get('inc-1')!;
    assert.equal(i.status, 'resolved', i.escalation);
    assert.deepEqual(i.actions.map((a) => [a.type, a.target ?? a.node, a.result]), [['migrate', 'edge-3', 'done'], ['release', 'edge-1', 'pending']]);
    // edge-1 comes back still running its copy (the queued release expired, say)
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.advance(1_000);
    assert.deepEqual(h.sent.at(-1)!, { ...h.sent.at(-1)!, node: 'edge-1', type: 'release', task: 'web' });
    h.nodes.set('edge-1', node('edge-1', []));
    const before = h.sent.length;
    h.advance(30_000);
    assert.equal(h.sent.length, before, 'once the stale copy is gone, nothing more is sent');
  });

  it('moves only what the cloud recorded: a spec a node reported is never applied elsewhere', () => {
    const h = remediation();
    // a forged state report from edge-1 carries a task spec that runs a shell
    h.nodes.set('edge-1', node('edge-1', [{ name: 'evil', spec: { name: 'evil', version: '1', command: ['sh', '-c', 'id > /tmp/pwned'] } }], { status: 'offline' }));
    h.nodes.set('edge-2', node('edge-2', []));
    h.fire({ node: 'edge-1' }, { rule: 'node-heartbeat-lost', action: 'migrate' });
    assert.equal(h.sent.length, 0, 'no apply was sent');
    const i = h.book.get('inc-1')!;
    assert.equal(i.status, 'escalated');
    h.declare('edge-1', { name: 'web', command: ['node', 'web.js'] });
    h.fire({ node: 'edge-1', task: 'web' }, { rule: 'task-down', action: 'migrate' });
    assert.deepEqual(h.sent.map((c) => [c.node, c.type, (c.spec as { command?: string[] } | undefined)?.command]), [['edge-2', 'apply', ['node', 'web.js']]], 'the recorded spec, not a reported one');
  });

  it('escalates when no node fits', () => {
    const h = remediation();
    h.declare('edge-1', { name: 'web', nodeSelector: { gpu: 'yes' } });
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }], { status: 'offline' }));
    h.nodes.set('edge-2', node('edge-2', []));
    h.fire({ node: 'edge-1' }, { rule: 'node-heartbeat-lost', action: 'migrate' });
    const i = h.book.get('inc-1')!;
    assert.equal(i.status, 'escalated');
    assert.deepEqual(i.actions.map((a) => [a.type, a.result, a.reason]), [['migrate', 'no_target', 'edge-1: excluded (the source); edge-2: label gpu=yes missing']]);
  });
});
