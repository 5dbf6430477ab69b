// Guards issue 12: with a wrong MQTT password the exporter printed the error and stayed half-started
// (/readyz 503 forever), and a SIGTERM then orphaned its task.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { faultTasks, killGroups, noTaskLeft, startFaultExporter, type FaultExporter } from '../../support/fault-exporter.js';
import { OwnMosquitto } from '../../support/mosquitto.js';
import { tempDir } from '../../support/paths.js';
import { eventually } from '../../support/wait.js';

describe('a wrong MQTT password (a private Mosquitto with a password file)', { timeout: 120_000 }, () => {
  const tmp = tempDir('edgewatch-login-');
  let broker: OwnMosquitto | undefined;
  let skip: string | false = false;
  const started: FaultExporter[] = [];
  before(async () => {
    const b = await OwnMosquitto.create(tmp.dir, [], { 'edge-login': 'the-right-password' });
    if ('skip' in b) skip = b.skip;
    else broker = b;
  });
  after(async () => {
    for (const e of started) if (e.alive()) await e.stop('SIGKILL');
    killGroups(started.flatMap((e) => e.taskGroups()));
    await broker?.stop();
    tmp.cleanup();
  });

  it('is decided: retried with backoff while tasks are supervised, /readyz and a metric say refused, the log names the keys; SIGTERM leaves nothing; a fixed password connects', async (t) => {
    if (skip) return t.skip(skip);
    const node = { node: 'edge-login' };
    const yaml = `node: edge-login\nstate: {dir: ${join(tmp.dir, 'state')}}\nmqtt: {url: "${broker!.url}", username: edge-login, password: not-the-password, heartbeatSeconds: 1}\n${faultTasks()}`;
    let exporter = await startFaultExporter(tmp.dir, yaml);
    started.push(exporter);

    const why = await eventually('/readyz to say the login is refused', async () => {
      const r = await exporter.readyz();
      return r.status === 503 && r.text.includes('mqtt: MQTT broker') && r.text;
    });
    assert.match(why, /refused the login \([^)]*\): fix mqtt\.username \/ mqtt\.password/);
    assert.equal(await exporter.sum('edgewatch_exporter_degraded', { ...node, component: 'mqtt', reason: 'login_refused' }), 1);
    assert.equal(await exporter.sum('edgewatch_mqtt_connected', node), 0);
    const restarts = await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' });
    await eventually('the crashing task restarted meanwhile', async () => (await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' })) >= restarts + 3);
    assert.equal(await exporter.sum('edgewatch_task_up', { ...node, task: 'quiet' }), 1);
    assert.ok(exporter.alive(), 'not half-started: running');
    const refusals = [...exporter.output().matchAll(/"msg":"mqtt login refused"[^\n]*/g)];
    assert.equal(refusals.length, 1, 'one log line however many retries');
    assert.match(refusals[0]![0], /"fix":"mqtt\.username \/ mqtt\.password"/);
    assert.doesNotMatch(exporter.output(), /not-the-password/, 'the password is never logged');

    let groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);

    exporter = await startFaultExporter(tmp.dir, yaml);
    started.push(exporter);
    await eventually('refused again', async () => (await exporter.readyz()).text.includes('refused the login'));
    broker!.setPassword('edge-login', 'not-the-password');
    await eventually('/readyz ready once the broker takes the password', async () => (await exporter.readyz()).status === 200, { timeoutMs: 45_000 });
    assert.equal(await exporter.sum('edgewatch_mqtt_connected', node), 1);
    assert.equal(await exporter.sum('edgewatch_exporter_degraded', { ...node, component: 'mqtt' }), 0);
    assert.match(exporter.output(), /"msg":"mqtt login accepted again"/);

    groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);
  });
});
