// Guards MQTT.js#1001 / #2015 territory: after a broker restart the sessions resume and a command sent
// while the broker was down arrives and runs exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startControlPair, type ControlPair } from '../../support/control-harness.js';
import { OwnMosquitto } from '../../support/mosquitto.js';
import { fixture, tempDir } from '../../support/paths.js';
import { eventually } from '../../support/wait.js';

describe('a Mosquitto restart', () => {
  const tmp = tempDir('edgewatch-mosquitto-');
  let broker: OwnMosquitto | undefined;
  let p: ControlPair | undefined;
  let skip: string | false = false;
  before(async () => {
    const b = await OwnMosquitto.create(tmp.dir);
    if ('skip' in b) {
      skip = b.skip;
      return;
    }
    broker = b;
    p = await startControlPair(broker.url, `  - name: web\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 0}\n`);
  });
  after(async () => {
    await p?.stop();
    await broker?.stop();
    tmp.cleanup();
  });

  it('resumes the sessions; a command queued meanwhile runs exactly once', async (t) => {
    if (skip) return t.skip(skip);
    const startsBefore = await p!.metric('edgewatch_task_starts_total', { task: 'web' });
    await broker!.stop();
    await eventually('the exporter to notice', async () => (await p!.metric('edgewatch_mqtt_connected')) === 0);
    const record = p!.collector.dispatcher.send({ node: p!.node, type: 'restart', task: 'web' });
    await broker!.start();
    const final = await p!.collector.dispatcher.whenFinal(record.id);
    assert.equal(final.status, 'done', final.reason);
    assert.equal(await p!.metric('edgewatch_mqtt_connected'), 1);
    assert.equal(await p!.metric('edgewatch_task_starts_total', { task: 'web' }), startsBefore! + 1, 'ran once');
    assert.equal(await p!.metric('edgewatch_commands_total', { type: 'restart', result: 'done' }), 1);
    // a second command after the restart proves the subscriptions are live again
    const again = p!.collector.dispatcher.send({ node: p!.node, type: 'restart', task: 'web' });
    assert.equal((await p!.collector.dispatcher.whenFinal(again.id)).status, 'done');
    assert.equal(await p!.metric('edgewatch_task_starts_total', { task: 'web' }), startsBefore! + 2);
    assert.equal(await p!.metric('edgewatch_commands_total', { type: 'restart', result: 'done' }), 2, 'no copy of the first command ran again');
  });
});
