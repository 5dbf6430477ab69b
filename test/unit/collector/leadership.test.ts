import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notLeaderReason, soleLeader, whileLeading, type Leadership } from '../../../collector/cluster/leadership.js';
import type { LeaseListener } from '../../../collector/cluster/leader-lease.js';

/** A leadership the test moves by hand. */
function manual(): Leadership & { elect(epoch: number): void; depose(): void } {
  const listeners: LeaseListener[] = [];
  let leading = false;
  let epoch = 0;
  return {
    replica: 'b',
    clustered: true,
    isLeader: () => leading,
    epoch: () => (leading ? epoch : 0),
    leader: () => (leading ? { replica: 'b', holder: 'b/1', epoch, expiresInMs: 5000 } : { replica: 'a', holder: 'a/1', address: 'http://a:8080', epoch: 3, expiresInMs: 4000 }),
    on: (l) => void listeners.push(l),
    component: { name: 'lease', start() {}, stop() {} },
    replicas: async () => [],
    elect(e) {
      leading = true;
      epoch = e;
      for (const l of listeners) l.elected(e);
    },
    depose() {
      leading = false;
      for (const l of listeners) l.deposed('test');
    },
  };
}

describe('leadership', () => {
  it('runs the forward input only while leading, starting and stopping it in order', async () => {
    const l = manual();
    const calls: string[] = [];
    const inner = { name: 'forward', start: async () => void calls.push('start'), stop: async () => void calls.push('stop') };
    const c = whileLeading(inner, l, (err) => calls.push(`error ${String(err)}`));
    await c.start();
    assert.deepEqual(calls, [], 'a standby does not listen');
    const settled = () => new Promise((r) => setImmediate(r));
    l.elect(4);
    await settled();
    l.depose();
    await settled();
    l.elect(5);
    await settled();
    await c.stop();
    assert.deepEqual(calls, ['start', 'stop', 'start', 'stop']);
    // changes faster than the input starts collapse: it ends as the last one says
    l.elect(6);
    l.depose();
    await settled();
    assert.deepEqual(calls.length, 4);
  });

  it('a standby names the leader in its refusals; the leader has none', () => {
    const l = manual();
    assert.equal(notLeaderReason(l), 'replica b is a standby: the leader is a at http://a:8080 (epoch 3)');
    l.elect(4);
    assert.equal(notLeaderReason(l), undefined);
  });

  it('the sole SQLite collector leads from start to stop with epoch 0', async () => {
    const events: string[] = [];
    const l = soleLeader('one', () => 'http://127.0.0.1:8080');
    l.on({ elected: (e) => events.push(`elected ${e}`), deposed: (why) => events.push(`deposed ${why}`) });
    assert.equal(l.isLeader(), false);
    await l.component.start();
    assert.equal(l.isLeader(), true);
    assert.equal(l.epoch(), 0);
    await l.component.stop();
    assert.deepEqual(events, ['elected 0', 'deposed stopping']);
  });
});
