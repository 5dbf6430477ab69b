// A 4x latency jump after a release, and a crash loop after a release, each roll the task back to the
// version before it (through Mosquitto, the real exporter and collector).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startControlPair, type ControlPair } from '../support/control-harness.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../support/mosquitto.js';
import { fixture, tempDir } from '../support/paths.js';
import { eventually } from '../support/wait.js';

// The default rules with warm-ups and `for:` shortened from minutes to seconds.
const RULES = `rules:
  - name: latency-up-300pct
    kind: baseline
    field: duration_ms
    method: ratio
    threshold: 4
    baselineSamples: 200
    currentSamples: 5
    warmup: {samples: 30, duration: 1s}
    minValue: 5
    action: rollback
  - name: crash-loop
    kind: crashloop
    count: 3
    window: 1m
    action: rollback
`;

interface IncidentView {
  id: string;
  rule: string;
  status: string;
  labels: Record<string, string>;
  actions: Array<{ type: string; result: string; verified?: boolean }>;
}

const lines = (durationMs: number) => ({ name: 'api', command: ['node', fixture('json-lines.js')], env: { COUNT: '100000', RATE: '50', DURATIONS: String(durationMs) } });

describe('rollback remediation', () => {
  const tmp = tempDir();
  let p: ControlPair | undefined;
  let skip: string | false = false;
  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    const rules = join(tmp.dir, 'rules.yml');
    writeFileSync(rules, RULES);
    const api = lines(20);
    p = await startControlPair(
      SHARED_MOSQUITTO,
      `  - name: api\n    version: v1\n    command: ${JSON.stringify(api.command)}\n    env: ${JSON.stringify(api.env)}\n  - name: worker\n    version: v1\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 0}\n`,
      '',
      `rules: {file: ${JSON.stringify(rules)}}\nremediation: {verifySeconds: 2}`,
    );
  });
  after(async () => {
    await p?.stop();
    tmp.cleanup();
  });

  const incidentOf = (rule: string, task: string) =>
    eventually(`an incident of ${rule} on ${task} resolved`, async () => {
      const { body } = await p!.api<{ incidents: IncidentView[] }>('/api/incidents');
      const i = body.incidents.find((x) => x.rule === rule && x.labels.task === task);
      return i?.status === 'resolved' && i;
    }, { timeoutMs: 30_000 });

  it('a release 5x slower than the baseline is rolled back to the previous version', async (t) => {
    if (skip) return t.skip(skip);
    await eventually('a warmed-up baseline', async () => ((await p!.metric('edgewatch_task_request_duration_seconds_count', { task: 'api' })) ?? 0) > 60);
    const slow = lines(100);
    const applied = await p!.api<{ status: string }>('/api/commands', { method: 'POST', body: { node: p!.node, task: 'api', type: 'apply', spec: { ...slow, version: 'v2' } } });
    assert.equal(applied.body.status, 'done');
    const i = await incidentOf('latency-up-300pct', 'api');
    assert.deepEqual(i.actions.map((a) => [a.type, a.result, a.verified]), [['rollback', 'done', true]]);
    assert.equal(await p!.metric('edgewatch_task_version_info', { task: 'api', version: 'v1' }), 1);
    assert.equal(await p!.metric('edgewatch_task_version_info', { task: 'api', version: 'v2' }), undefined);
  });

  it('a release that crash-loops is rolled back to the previous version', async (t) => {
    if (skip) return t.skip(skip);
    const crashing = { name: 'worker', version: 'v2', command: ['node', fixture('crash.js')], backoff: { initialSeconds: 0.1, maxSeconds: 0.4, resetAfterSeconds: 600 } };
    const applied = await p!.api<{ status: string }>('/api/commands', { method: 'POST', body: { node: p!.node, task: 'worker', type: 'apply', spec: crashing } });
    assert.equal(applied.body.status, 'done');
    const i = await incidentOf('crash-loop', 'worker');
    assert.deepEqual(i.actions.map((a) => [a.type, a.result, a.verified]), [['rollback', 'done', true]]);
    assert.equal(await p!.metric('edgewatch_task_version_info', { task: 'worker', version: 'v1' }), 1);
    assert.equal(await p!.metric('edgewatch_task_up', { task: 'worker' }), 1);
  });
});
