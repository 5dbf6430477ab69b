// One contract for the control channel, run against the in-memory broker and the real Mosquitto.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MqttBus } from '../../../common/adapters/mqtt-bus.js';
import { silentLogger } from '../../../common/logger.js';
import { InMemoryBroker, type MessageBus, type Will } from '../../../common/message-bus.js';
import { SHARED_MOSQUITTO, sharedMosquitto } from '../../support/mosquitto.js';

/** A client plus a way to cut its connection as a lost link would. */
type Client = MessageBus & { cut(): Promise<void> };

interface Harness {
  client(id: string, will?: Will): Promise<Client>;
  close(): Promise<void>;
}

function contract(name: string, make: () => Promise<Harness | { skip: string }>) {
  describe(`MessageBus contract: ${name}`, () => {
    const topic = () => `edgewatch-test/${randomBytes(4).toString('hex')}`;

    it('delivers to matching wildcard subscriptions only', async (t) => {
      const h = await make();
      if ('skip' in h) return t.skip(h.skip);
      try {
        const base = topic();
        const a = await h.client('a');
        const b = await h.client('b');
        const got: string[] = [];
        let resolve!: () => void;
        const done = new Promise<void>((r) => (resolve = r));
        await b.subscribe(`${base}/+/state`, (tp, p) => {
          got.push(`${tp.split('/').slice(-2).join('/')}=${p.toString()}`);
          if (got.length === 2) resolve();
        });
        await a.publish(`${base}/n1/heartbeat`, 'no', { qos: 1 });
        await a.publish(`${base}/n1/state`, 's1', { qos: 1 });
        await a.publish(`${base}/n2/state`, 's2', { qos: 1 });
        await done;
        assert.deepEqual(got.sort(), ['n1/state=s1', 'n2/state=s2']);
      } finally {
        await h.close();
      }
    });

    it("hands a new subscriber the retained message, and publishes a lost client's Last Will", async (t) => {
      const h = await make();
      if ('skip' in h) return t.skip(h.skip);
      try {
        const status = `${topic()}/edge/status`;
        const edge = await h.client('edge', { topic: status, payload: 'offline', retain: true });
        await edge.publish(status, 'online', { qos: 1, retain: true });
        const seen: string[] = [];
        const watcher = await h.client('watcher');
        let resolve!: () => void;
        const offline = new Promise<void>((r) => (resolve = r));
        await watcher.subscribe(status, (_t, p) => {
          seen.push(p.toString());
          if (p.toString() === 'offline') resolve();
        });
        await edge.cut();
        await offline;
        assert.deepEqual(seen, ['online', 'offline']);
        await watcher.publish(status, '', { qos: 1, retain: true }); // clear the retained test message
      } finally {
        await h.close();
      }
    });
  });
}

contract('in-memory', async () => {
  const broker = new InMemoryBroker();
  return {
    async client(_id, will) {
      const c = broker.connect(will);
      return Object.assign(c, { cut: () => c.drop() });
    },
    close: async () => undefined,
  };
});

contract('Mosquitto', async () => {
  const available = await sharedMosquitto();
  if (available.skip) return { skip: available.skip };
  const clients: MqttBus[] = [];
  return {
    async client(id, will) {
      const bus = new MqttBus({ url: SHARED_MOSQUITTO, clientId: `edgewatch-contract-${id}-${randomBytes(3).toString('hex')}`, ...(will ? { will: { ...will, retain: will.retain ?? false } } : {}) }, silentLogger);
      await bus.start();
      clients.push(bus);
      return Object.assign(bus, { cut: () => bus.abort() });
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
});
