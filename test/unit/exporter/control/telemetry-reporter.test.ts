import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../../../common/clock.js';
import { silentLogger } from '../../../../common/logger.js';
import { InMemoryBroker, type MessageBus } from '../../../../common/message-bus.js';
import { TelemetryReporter } from '../../../../exporter/control/telemetry-reporter.js';
import { heartbeatSchema, stateMessageSchema, type Heartbeat, type StateMessage, type TaskStatusWire } from '../../../../protocol/telemetry.js';
import { topics } from '../../../../protocol/topics.js';
import { flushMicrotasks } from '../../../support/remediation-harness.js';

const HEARTBEAT_MS = 10_000;
const COALESCE_MS = 100;

/**
 * The exporter's reporter against the in-memory broker, with a collector-side client listening. With
 * `rttMs`, every publish resolves (the PUBACK) that much later on the fake clock, and `duringPublish` runs
 * meanwhile.
 */
async function setup(connected = true, rttMs: () => number = () => 0, duringPublish?: () => Promise<void>) {
  const clock = new FakeClock();
  const broker = new InMemoryBroker();
  const bus = broker.connect();
  if (!connected) await bus.drop();
  const link: MessageBus = {
    get connected() {
      return bus.connected;
    },
    async publish(topic, payload, options) {
      await bus.publish(topic, payload, options);
      clock.advance(rttMs());
      await duringPublish?.();
    },
    subscribe: (f, h) => bus.subscribe(f, h),
    onConnection: (l) => bus.onConnection(l),
    close: () => bus.close(),
  };
  const tasks: TaskStatusWire[] = [
    { name: 'web', version: 'v1', state: 'running', restarts: 0, job: false },
    { name: 'db', version: 'v3', state: 'running', restarts: 1, job: false },
  ];
  const reporter = new TelemetryReporter(
    link,
    { tasks: () => tasks, load: () => ({ cpu: 0.5, memoryBytes: 2e9, memoryTotalBytes: 8e9 }), spool: () => ({ records: 7, bytes: 700 }), epoch: () => 3 },
    { node: 'edge-1', bootId: 'boot-a', version: 'test', heartbeatMs: HEARTBEAT_MS, coalesceMs: COALESCE_MS, labels: { zone: 'a' }, taints: [], maxTasks: 4 },
    clock,
    silentLogger,
  );
  const cloud = broker.connect();
  const states: StateMessage[] = [];
  const beats: Heartbeat[] = [];
  await cloud.subscribe(topics.state('edge-1'), (_t, p) => void states.push(stateMessageSchema.parse(JSON.parse(p.toString()))));
  await cloud.subscribe(topics.heartbeat('edge-1'), (_t, p) => void beats.push(heartbeatSchema.parse(JSON.parse(p.toString()))));
  return { clock, bus, tasks, reporter, states, beats };
}

describe('TelemetryReporter on the in-memory broker', () => {
  it('on start publishes a snapshot of every task and a heartbeat with load, spool and epoch, then beats every heartbeatMs', async () => {
    const h = await setup();
    await h.reporter.start();
    assert.equal(h.states.length, 1);
    assert.equal(h.states[0]!.kind, 'snapshot');
    assert.deepEqual(h.states[0]!.tasks.map((t) => t.name), ['web', 'db']);
    assert.equal(h.beats.length, 1);
    assert.deepEqual(h.beats[0]!.load, { cpu: 0.5, memoryBytes: 2e9, memoryTotalBytes: 8e9, tasks: 2, spoolRecords: 7, spoolBytes: 700 });
    assert.equal(h.beats[0]!.epoch, 3);
    assert.deepEqual(h.beats[0]!.labels, { zone: 'a' });
    h.clock.advance(HEARTBEAT_MS * 3);
    await flushMicrotasks();
    assert.equal(h.beats.length, 4);
    h.reporter.stop();
    h.clock.advance(HEARTBEAT_MS * 3);
    await flushMicrotasks();
    assert.equal(h.beats.length, 4, 'no heartbeat after stop');
  });

  it('task changes within coalesceMs go out as one delta with the next sequence number; removals are listed', async () => {
    const h = await setup();
    await h.reporter.start();
    const observer = h.reporter.observer();
    observer.stateChanged?.('web', 'backoff', 'v1');
    observer.exited?.('web', 'failed', { code: 1, signal: null }, 5);
    observer.removed?.('db');
    h.clock.advance(COALESCE_MS - 1);
    await flushMicrotasks();
    assert.equal(h.states.length, 1, 'still coalescing');
    h.clock.advance(1);
    await flushMicrotasks();
    assert.equal(h.states.length, 2);
    const delta = h.states[1]!;
    assert.equal(delta.kind, 'delta');
    assert.equal(delta.seq, h.states[0]!.seq + 1);
    assert.deepEqual(delta.tasks.map((t) => t.name), ['web']);
    assert.deepEqual(delta.removed, ['db']);
  });

  it('measures the link as the PUBACK round trip of its QoS 1 heartbeat, needing no topic it cannot write', async () => {
    const h = await setup(true, () => 40);
    await h.reporter.start();
    assert.equal(h.beats[0]!.linkLatencyMs, undefined, 'nothing measured before the first PUBACK');
    h.clock.advance(HEARTBEAT_MS);
    await flushMicrotasks();
    assert.equal(h.beats[1]!.linkLatencyMs, 40);
  });

  it('discards a round trip that spans a reconnection (the PUBACK came over another connection)', async () => {
    let flap = false;
    const h = await setup(true, () => (flap ? 500 : 40), async () => {
      if (!flap) return;
      await h.bus.drop();
      h.bus.reconnect();
    });
    await h.reporter.start();
    flap = true;
    h.clock.advance(HEARTBEAT_MS);
    await flushMicrotasks();
    flap = false;
    h.clock.advance(HEARTBEAT_MS);
    await flushMicrotasks();
    const last = h.beats.at(-1)!;
    assert.equal(last.linkLatencyMs, 40, 'the 500 ms round trip across the reconnection was dropped; the earlier sample stands');
  });

  it('publishes nothing while disconnected, and a heartbeat and a snapshot the moment it reconnects', async () => {
    const h = await setup(false);
    await h.reporter.start();
    h.reporter.observer().stateChanged?.('web', 'backoff', 'v1');
    h.clock.advance(HEARTBEAT_MS);
    await flushMicrotasks();
    assert.deepEqual([h.states.length, h.beats.length], [0, 0]);
    h.bus.reconnect();
    await flushMicrotasks();
    assert.equal(h.states.length, 1);
    assert.equal(h.states[0]!.kind, 'snapshot');
    assert.equal(h.beats.length, 1, 'no wait for the next beat: the collector accepts a returning node on a fresh heartbeat');
  });
});
