import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseListener } from '../../../../collector/cluster/leader-lease.js';
import { soleLeader, type Leadership } from '../../../../collector/cluster/leadership.js';
import { cloudPresence } from '../../../../collector/edge/cloud-presence.js';
import { silentLogger } from '../../../../common/logger.js';
import { InMemoryBroker } from '../../../../common/message-bus.js';
import { CLOUD_PRESENCE_TOPIC } from '../../../../protocol/topics.js';
import { eventually } from '../../../support/wait.js';

/** A replica's leadership, moved by hand. */
function replica(name: string): Leadership & { elect(): void; depose(): void } {
  const listeners: LeaseListener[] = [];
  let leading = false;
  return {
    replica: name,
    clustered: true,
    isLeader: () => leading,
    epoch: () => (leading ? 1 : 0),
    leader: () => undefined,
    on: (l) => void listeners.push(l),
    component: { name: 'lease', start() {}, stop() {} },
    replicas: async () => [],
    elect() {
      leading = true;
      for (const l of listeners) l.elected(1);
    },
    depose() {
      leading = false;
      for (const l of listeners) l.deposed('test');
    },
  };
}

const WILL = { topic: CLOUD_PRESENCE_TOPIC, payload: 'offline', retain: true };

/** What a node reading the presence topic would find now. */
const presence = (broker: InMemoryBroker) => broker.retainedFor(CLOUD_PRESENCE_TOPIC)[0]?.[1].toString();

describe('cloud presence', () => {
  it('with replicas, only the leader speaks for the cloud: a standby that stops or dies is answered with online', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [replica('a'), replica('b')];
    const busA = broker.connect(WILL);
    const busB = broker.connect(WILL);
    const presA = cloudPresence(busA, a, silentLogger);
    const presB = cloudPresence(busB, b, silentLogger);
    await presA.start();
    await presB.start();
    assert.equal(presence(broker), undefined, 'nobody leads yet: nothing said');

    a.elect();
    await eventually('the leader says online', () => presence(broker) === 'online');

    await presB.stop(); // a clean stop of the standby
    assert.equal(presence(broker), 'online', 'a standby never says offline');

    await busB.drop(); // the standby dies: its Last Will says offline
    await eventually('the leader answers the standby\'s will', () => presence(broker) === 'online');

    await busA.drop(); // the leader dies: nobody answers
    assert.equal(presence(broker), 'offline');
  });

  it('a deposed leader says offline, and the next leader says online', async () => {
    const broker = new InMemoryBroker();
    const [a, b] = [replica('a'), replica('b')];
    await cloudPresence(broker.connect(WILL), a, silentLogger).start();
    await cloudPresence(broker.connect(WILL), b, silentLogger).start();
    a.elect();
    await eventually('a leads', () => presence(broker) === 'online');
    a.depose();
    await eventually('no leader: offline', () => presence(broker) === 'offline');
    b.elect();
    await eventually('b leads', () => presence(broker) === 'online');
  });

  it('the lone collector says offline on a clean stop (its birth message said online)', async () => {
    const broker = new InMemoryBroker();
    const bus = broker.connect(WILL);
    const sole = soleLeader('main', () => undefined);
    const pres = cloudPresence(bus, sole, silentLogger);
    await pres.start();
    await bus.publish(CLOUD_PRESENCE_TOPIC, 'online', { retain: true }); // as the bus's birth
    await pres.stop();
    assert.equal(presence(broker), 'offline');
  });
});
