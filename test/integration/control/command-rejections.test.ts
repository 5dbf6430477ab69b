import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MqttBus } from '../../../common/adapters/mqtt-bus.js';
import { silentLogger } from '../../../common/logger.js';
import { signCommand, type Ack, type UnsignedCommand } from '../../../protocol/commands.js';
import { topics } from '../../../protocol/topics.js';
import { commandKeys } from '../../support/command-keys.js';
import { startControlPair, type ControlPair } from '../../support/control-harness.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../../support/mosquitto.js';
import { fixture } from '../../support/paths.js';

describe('an edge node refuses bad commands arriving over Mosquitto', () => {
  let p: ControlPair | undefined;
  let raw: MqttBus | undefined;
  let skip: string | false = false;
  const acks: Ack[] = [];
  let onAck = () => {};
  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    p = await startControlPair(SHARED_MOSQUITTO, `  - name: web\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 0}\n`);
    // someone with broker access publishing straight to the node's command topic
    raw = new MqttBus({ url: SHARED_MOSQUITTO, clientId: `edgewatch-attacker-${randomBytes(3).toString('hex')}` }, silentLogger);
    await raw.start();
    await raw.subscribe(topics.acks(p.node), (_t, payload) => {
      acks.push(JSON.parse(payload.toString()) as Ack);
      onAck();
    });
  });
  after(async () => {
    await raw?.close();
    await p?.stop();
  });

  it('rejects replayed, forged, expired, wrong-node and stale-epoch commands, each with its reason; nothing runs', async (t) => {
    if (skip) return t.skip(skip);
    const node = p!.node;
    const now = Date.now();
    const base = (over: Partial<UnsignedCommand>): UnsignedCommand => ({ id: `cmd-${randomBytes(6).toString('hex')}`, type: 'restart', node, task: 'web', issuedAt: now, expiresAt: now + 60_000, epoch: 5, ...over });
    const sign = (u: UnsignedCommand) => signCommand(u, p!.keys.signing);
    const valid = sign(base({ type: 'snapshot', task: undefined })); // harmless, and sets the node's epoch to 5
    const cases: Array<{ payload: unknown; reason: string }> = [
      { payload: valid, reason: 'replayed' },
      { payload: { ...sign(base({})), task: 'other' }, reason: 'bad_signature' },
      { payload: signCommand(base({}), commandKeys(p!.dir, 'forger').signing), reason: 'unknown_key' },
      { payload: sign(base({ issuedAt: now - 120_000, expiresAt: now - 60_000 })), reason: 'expired' },
      { payload: sign(base({ node: 'edge-someone-else' })), reason: 'wrong_node' },
      { payload: sign(base({ epoch: 4 })), reason: 'stale_epoch' },
    ];
    const starts = await p!.metric('edgewatch_task_starts_total', { task: 'web' });
    await raw!.publish(topics.commands(node), JSON.stringify(valid), { qos: 1 });
    for (const c of cases) await raw!.publish(topics.commands(node), JSON.stringify(c.payload), { qos: 1 });
    const ids = cases.map((c) => (c.payload as { id: string }).id);
    // every case answered with a rejection (the replayed one after its first run's accepted and done)
    const answered = () => ids.every((id) => acks.some((a) => a.id === id && a.status === 'rejected'));
    await new Promise<void>((resolve) => {
      onAck = () => answered() && resolve();
      onAck();
    });
    const rejections = cases.map((c, i) => acks.filter((a) => a.id === ids[i] && a.status === 'rejected').map((a) => a.reason!.split(':')[0])[0] ?? 'none');
    assert.deepEqual(rejections, cases.map((c) => c.reason));
    assert.equal(await p!.metric('edgewatch_task_starts_total', { task: 'web' }), starts, 'no command ran');
    for (const reason of ['bad_signature', 'unknown_key', 'expired', 'stale_epoch', 'replayed']) {
      assert.equal(await p!.metric('edgewatch_command_rejections_total', { reason }), 1, reason);
    }
  });
});
