import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { CommandDispatcher, type CommandRecord } from '../../../collector/control/command-dispatcher.js';
import { ControlPlaneMetrics } from '../../../collector/control/control-metrics.js';
import { ControlPlane } from '../../../collector/control/control-plane.js';
import { NodeRegistry } from '../../../collector/control/node-registry.js';
import { EpochStore, StateDb } from '../../../collector/state/state-db.js';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { InMemoryBroker, type InMemoryClient } from '../../../common/message-bus.js';
import type { Signal } from '../../../common/rules/signals.js';
import { commandSchema, verifyCommand, type Ack, type Command } from '../../../protocol/commands.js';
import type { Heartbeat, StateMessage, TaskStatusWire } from '../../../protocol/telemetry.js';
import { topics } from '../../../protocol/topics.js';
import { commandKeys } from '../../support/command-keys.js';
import { tempDir } from '../../support/paths.js';
import { flushMicrotasks } from '../../support/remediation-harness.js';
import { parseExposition, sampleValue } from '../../support/prom-text.js';

const LEASE_MS = 30_000;
const ACK_TIMEOUT_MS = 5_000;
const TTL_MS = 60_000;

function heartbeat(node: string, at: number, over: Partial<Heartbeat> = {}): Heartbeat {
  return {
    node,
    at,
    bootId: 'boot-1',
    load: { cpu: 0.2, memoryBytes: 1e9, memoryTotalBytes: 4e9, tasks: 1, spoolRecords: 0, spoolBytes: 0 },
    labels: {},
    taints: [],
    maxTasks: 8,
    epoch: 1,
    version: 'test',
    ...over,
  };
}

function task(name: string, over: Partial<TaskStatusWire> = {}): TaskStatusWire {
  return { name, version: 'v1', state: 'running', restarts: 0, job: false, ...over };
}

/** The collector's control plane over an in-memory broker, with an edge-side client to play the node. */
describe('ControlPlane, NodeRegistry and CommandDispatcher on the in-memory broker', () => {
  let tmp: ReturnType<typeof tempDir>;
  let state: StateDb;
  beforeEach(() => {
    tmp = tempDir();
    state = new StateDb(':memory:');
  });
  afterEach(() => {
    state.close();
    tmp.cleanup();
  });

  async function setup() {
    const clock = new FakeClock();
    const broker = new InMemoryBroker();
    const bus = broker.connect();
    const keys = commandKeys(tmp.dir);
    const registry = new Registry();
    const nodes = new NodeRegistry(LEASE_MS);
    const epochs = new EpochStore(state);
    const metrics = new ControlPlaneMetrics(registry, nodes);
    const records: CommandRecord[] = [];
    let ids = 0;
    const dispatcher = new CommandDispatcher(
      {
        bus,
        key: keys.signing,
        epoch: (n) => epochs.epoch(n),
        isOnline: (n) => nodes.get(n)?.status === 'online',
        clock,
        newId: () => `cmd-${String(++ids).padStart(4, '0')}`,
        randomHex: (n) => 'cd'.repeat(n),
        logger: silentLogger,
        changed: (r) => void records.push({ ...r }),
      },
      { ttlMs: TTL_MS, ackTimeoutMs: ACK_TIMEOUT_MS, maxAttempts: 3 },
    );
    const signals: Signal[] = [];
    const control = new ControlPlane({ bus, nodes, dispatcher, epochs, metrics, clock, logger: silentLogger, onSignals: (s) => void signals.push(...s) });
    await control.start();
    const edge = broker.connect({ topic: topics.status('edge-1'), payload: 'offline', retain: true });
    const received: Command[] = [];
    await edge.subscribe(topics.commands('edge-1'), (_t, p) => void received.push(commandSchema.parse(JSON.parse(p.toString()))));
    const publish = (c: InMemoryClient, topic: string, body: unknown) => c.publish(topic, typeof body === 'string' ? body : JSON.stringify(body));
    const rejected = async (topic: string) => sampleValue(parseExposition(await registry.metrics()), 'edgewatch_collector_control_rejected_total', { topic });
    return { clock, broker, edge, keys, nodes, dispatcher, control, signals, received, records, publish, rejected, epochs };
  }

  it('a heartbeat brings a node online and feeds the rules; the lease expires on tick without one', async () => {
    const h = await setup();
    await h.publish(h.edge, topics.status('edge-1'), 'online');
    assert.equal(h.nodes.get('edge-1')?.status, 'unknown', 'online is believed only with a fresh heartbeat');
    await h.publish(h.edge, topics.heartbeat('edge-1'), heartbeat('edge-1', h.clock.now()));
    assert.equal(h.nodes.get('edge-1')?.status, 'online');
    const load = { cpu: 0.2, memoryBytes: 1e9, memoryTotalBytes: 4e9, tasks: 1, spoolRecords: 0, spoolBytes: 0 };
    assert.deepEqual(h.signals, [{ kind: 'heartbeat', at: h.clock.now(), node: 'edge-1', load }], 'with the load, for rules that watch memory');
    h.clock.advance(LEASE_MS - 1);
    h.control.tick(h.clock.now());
    assert.equal(h.nodes.get('edge-1')?.status, 'online');
    h.clock.advance(1);
    h.control.tick(h.clock.now());
    assert.equal(h.nodes.get('edge-1')?.status, 'offline');
    assert.equal(h.nodes.get('edge-1')?.offlineCause, 'lease_expired');
  });

  it('the Last Will takes a node offline at once, and a new boot is told apart from a link outage', async () => {
    const h = await setup();
    await h.publish(h.edge, topics.heartbeat('edge-1'), heartbeat('edge-1', h.clock.now()));
    await h.publish(h.edge, topics.state('edge-1'), { node: 'edge-1', bootId: 'boot-1', seq: 0, at: h.clock.now(), kind: 'snapshot', tasks: [], removed: [] });
    await h.edge.drop();
    assert.equal(h.nodes.get('edge-1')?.status, 'offline');
    assert.equal(h.nodes.get('edge-1')?.offlineCause, 'last_will');
    const back = h.broker.connect();
    await h.publish(back, topics.heartbeat('edge-1'), heartbeat('edge-1', h.clock.now(), { bootId: 'boot-2' }));
    assert.equal(h.nodes.get('edge-1')?.status, 'online');
    assert.equal(h.nodes.get('edge-1')?.lastReturn, 'exporter_restart');
  });

  it('state deltas become task and restart signals; a gap in seq asks the node for a snapshot, once per 10 s', async () => {
    const h = await setup();
    const state = (seq: number, kind: StateMessage['kind'], tasks: TaskStatusWire[]): StateMessage => ({ node: 'edge-1', bootId: 'boot-1', seq, at: h.clock.now(), kind, tasks, removed: [] });
    await h.publish(h.edge, topics.state('edge-1'), state(0, 'snapshot', [task('web')]));
    await h.publish(h.edge, topics.state('edge-1'), state(1, 'delta', [task('web', { restarts: 2, lastRestartReason: 'OOMKilled' })]));
    assert.deepEqual(
      h.signals.map((s) => (s.kind === 'restart' ? `restart ${s.reason}` : s.kind)),
      ['task', 'task', 'restart OOMKilled', 'restart OOMKilled'],
    );
    assert.equal(h.received.length, 0);
    await h.publish(h.edge, topics.state('edge-1'), state(5, 'delta', [task('web')]));
    await h.publish(h.edge, topics.state('edge-1'), state(7, 'delta', [task('web')]));
    assert.deepEqual(h.received.map((c) => c.type), ['snapshot'], 'asked once for both gaps');
    assert.equal(verifyCommand(h.received[0]!, new Map([[h.keys.verify.keyId, h.keys.verify.publicKey]])), 'ok');
    h.clock.advance(10_001);
    await h.publish(h.edge, topics.state('edge-1'), state(9, 'delta', [task('web')]));
    assert.deepEqual(h.received.map((c) => c.type), ['snapshot', 'snapshot']);
  });

  it('a state far ahead of the last sequence is not adopted (it would hide every real update): a snapshot is asked for', async () => {
    const h = await setup();
    const state = (seq: number, st: TaskStatusWire['state']): StateMessage => ({ node: 'edge-1', bootId: 'boot-1', seq, at: h.clock.now(), kind: 'delta', tasks: [task('web', { state: st })], removed: [] });
    await h.publish(h.edge, topics.state('edge-1'), { ...state(0, 'running'), kind: 'snapshot' });
    await h.publish(h.edge, topics.state('edge-1'), state(1e12, 'failed'));
    assert.equal(h.nodes.get('edge-1')!.tasks.get('web')!.state, 'running', 'the forged jump changed nothing');
    assert.deepEqual(h.received.map((c) => c.type), ['snapshot']);
    await h.publish(h.edge, topics.state('edge-1'), state(1, 'backoff'));
    assert.equal(h.nodes.get('edge-1')!.tasks.get('web')!.state, 'backoff', 'the real next delta is still taken');
    assert.equal(h.nodes.get('edge-1')!.seq, 1);
  });

  it('a done ack for a command its node never accepted is not believed', async () => {
    const h = await setup();
    const record = h.dispatcher.send({ node: 'edge-1', type: 'restart', task: 'web' });
    await h.publish(h.edge, topics.acks('edge-1'), { id: record.id, node: 'edge-1', status: 'done', at: h.clock.now() });
    assert.equal(h.dispatcher.get(record.id)?.status, 'pending');
    await h.publish(h.edge, topics.acks('edge-1'), { id: record.id, node: 'edge-1', status: 'accepted', at: h.clock.now() });
    await h.publish(h.edge, topics.acks('edge-1'), { id: record.id, node: 'edge-1', status: 'done', at: h.clock.now() });
    assert.equal(h.dispatcher.get(record.id)?.status, 'done');
    assert.deepEqual(h.dispatcher.get(record.id)!.acks.map((a) => a.status), ['accepted', 'done']);
  });

  it('messages that do not validate, or that speak for another node than their topic, are counted and dropped', async () => {
    const h = await setup();
    await h.publish(h.edge, topics.heartbeat('edge-1'), heartbeat('edge-2', h.clock.now()));
    await h.publish(h.edge, topics.heartbeat('edge-1'), '{not json');
    await h.publish(h.edge, topics.acks('edge-1'), { id: 'x', node: 'edge-1', status: 'bogus', at: 1 });
    assert.equal(h.nodes.get('edge-2'), undefined);
    assert.equal(h.nodes.get('edge-1'), undefined);
    assert.equal(await h.rejected('heartbeat'), 2);
    assert.equal(await h.rejected('acks'), 1);
    assert.deepEqual(h.signals, []);
  });

  it('a command is signed with the node epoch, republished while the online node does not accept it, and done on its ack', async () => {
    const h = await setup();
    await h.publish(h.edge, topics.heartbeat('edge-1'), heartbeat('edge-1', h.clock.now()));
    h.epochs.raise('edge-1');
    const record = h.dispatcher.send({ node: 'edge-1', type: 'restart', task: 'web' });
    await flushMicrotasks();
    assert.equal(h.received.length, 1);
    assert.equal(h.received[0]!.epoch, 2);
    h.clock.advance(ACK_TIMEOUT_MS);
    await flushMicrotasks();
    assert.equal(h.received.length, 2, 'republished after the ack timeout');
    assert.equal(h.received[1]!.id, record.id, 'the same id, so the edge runs it once');
    const ack = (status: Ack['status']): Ack => ({ id: record.id, node: 'edge-1', status, at: h.clock.now(), task: 'web' });
    const final = h.dispatcher.whenFinal(record.id);
    await h.publish(h.edge, topics.acks('edge-1'), ack('accepted'));
    h.clock.advance(ACK_TIMEOUT_MS * 2);
    assert.equal(h.received.length, 2, 'an accepted command is not republished');
    await h.publish(h.edge, topics.acks('edge-1'), ack('done'));
    assert.equal((await final).status, 'done');
    assert.deepEqual(h.records.map((r) => r.status), ['pending', 'accepted', 'done']);
  });

  it('a command nobody accepts times out when it expires; an ack from another node for it changes nothing', async () => {
    const h = await setup();
    const record = h.dispatcher.send({ node: 'edge-1', type: 'restart', task: 'web' });
    const other = h.broker.connect();
    await h.publish(other, topics.acks('edge-2'), { id: record.id, node: 'edge-2', status: 'done', at: h.clock.now() });
    assert.equal(h.dispatcher.get(record.id)?.status, 'pending');
    h.clock.advance(TTL_MS);
    const final = await h.dispatcher.whenFinal(record.id);
    assert.equal(final.status, 'timeout');
    assert.equal(h.received.length, 1, 'an offline node gets the queued copy from its session: no republish');
  });
});
