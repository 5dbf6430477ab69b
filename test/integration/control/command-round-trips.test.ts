import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPair, type ControlPair } from '../../support/control-harness.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../../support/mosquitto.js';
import { fixture } from '../../support/paths.js';
import { eventually } from '../../support/wait.js';

interface CommandView {
  id: string;
  status: string;
  reason: string | null;
  version: string | null;
  traceId: string;
  acks: Array<{ status: string }>;
}

describe('command round trips through Mosquitto', () => {
  let p: ControlPair | undefined;
  let skip: string | false = false;
  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    p = await startControlPair(SHARED_MOSQUITTO, `  - name: web\n    version: v1\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 0}\n`);
  });
  after(() => p?.stop());

  const send = async (body: Record<string, unknown>) => {
    const r = await p!.api<CommandView>('/api/commands', { method: 'POST', body: { node: p!.node, task: 'web', ...body } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body;
  };
  const taskState = async () => {
    const { body } = await p!.api<{ nodes: Array<{ node: string; tasks: Array<{ name: string; state: string; version: string }> }> }>('/api/nodes');
    return body.nodes.find((n) => n.node === p!.node)?.tasks.find((t) => t.name === 'web');
  };

  it('restart, stop and start: acked accepted then done, and the task follows', async (t) => {
    if (skip) return t.skip(skip);
    const restarted = await send({ type: 'restart' });
    assert.equal(restarted.status, 'done');
    assert.deepEqual(restarted.acks.map((a) => a.status), ['accepted', 'done']);
    assert.equal(await p!.metric('edgewatch_task_restarts_total', { task: 'web', reason: 'Command' }), 1);
    assert.equal((await send({ type: 'stop' })).status, 'done');
    assert.equal(await p!.metric('edgewatch_task_up', { task: 'web' }), 0);
    await eventually('the collector to see the task stopped', async () => (await taskState())?.state === 'stopped');
    assert.equal((await send({ type: 'start' })).status, 'done');
    assert.equal(await p!.metric('edgewatch_task_up', { task: 'web' }), 1);
    await eventually('the collector to see it running', async () => (await taskState())?.state === 'running');
  });

  it('apply a new version, then roll back to the previous one', async (t) => {
    if (skip) return t.skip(skip);
    const applied = await send({ type: 'apply', spec: { name: 'web', version: 'v2', command: ['node', fixture('json-lines.js')], env: { COUNT: '0', FLAVOUR: 'new' } } });
    assert.equal(applied.status, 'done', applied.reason ?? '');
    assert.equal(applied.version, 'v2');
    assert.equal(await p!.metric('edgewatch_task_version_info', { task: 'web', version: 'v2' }), 1);
    const rolled = await send({ type: 'rollback' });
    assert.equal(rolled.status, 'done', rolled.reason ?? '');
    assert.equal(rolled.version, 'v1');
    assert.equal(await p!.metric('edgewatch_task_version_info', { task: 'web', version: 'v1' }), 1);
    assert.equal(await p!.metric('edgewatch_task_version_info', { task: 'web', version: 'v2' }), undefined);
    await eventually('the collector to see v1 running', async () => (await taskState())?.version === 'v1');
  });

  it('a command and the edge action show in one trace', async (t) => {
    if (skip) return t.skip(skip);
    const c = await send({ type: 'restart' });
    const records = await eventually('the edge action in the trace', async () => {
      const { body } = await p!.api<{ records: Array<{ msg: string; service?: string; node?: string }> }>(`/api/traces/${c.traceId}`);
      return body.records.some((r) => r.node === p!.node && r.msg.startsWith('command restart web done')) && body.records;
    });
    const msgs = records.map((r) => r.msg);
    assert.ok(msgs.some((m) => m === `command restart web on ${p!.node} issued`), msgs.join(' | '));
    assert.ok(msgs.some((m) => m === `command restart web on ${p!.node} done`), msgs.join(' | '));
    assert.ok(msgs.some((m) => m === 'command restart web accepted'));
  });

  it('refuses a command for a task the node does not run, with the reason', async (t) => {
    if (skip) return t.skip(skip);
    const r = await p!.api<CommandView>('/api/commands', { method: 'POST', body: { node: p!.node, task: 'ghost', type: 'restart' } });
    assert.equal(r.body.status, 'rejected');
    assert.match(r.body.reason!, /^unknown_task/);
    const bad = await p!.api<{ message: string }>('/api/commands', { method: 'POST', body: { node: p!.node, type: 'reboot' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /^type: must be one of "restart"/);
  });
});
