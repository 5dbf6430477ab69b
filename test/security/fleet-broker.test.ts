// Issue 11: the embedded broker was open. Anonymous clients read every command and state, published `done`
// acks for commands no node ran, a retained `offline` for a live node and a 100 MiB packet (RSS 123 → 660 MB);
// one node's credentials could take over the collector's client id. Now every client logs in, the ACL
// lets a node speak only for itself, client ids are pinned to users and packets are capped.
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../../protocol/topics.js';
import { addNode, type NodeLogin } from '../support/node-identity.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

function client(url: string, o: { clientId: string; username?: string; password?: string }): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { ...o, reconnectPeriod: 0, connectTimeout: 3000, clean: true });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

const heartbeat = (node: string) => ({ node, at: Date.now(), bootId: 'b', load: { cpu: 0, memoryBytes: 1, memoryTotalBytes: 2, tasks: 0, spoolRecords: 0, spoolBytes: 0 }, labels: {}, taints: [], maxTasks: 4, epoch: 1, version: 't' });

describe('the embedded broker authenticates and authorizes every client', () => {
  let c: SecureCollector;
  let url: string;
  let edge1: NodeLogin;
  let edge2: NodeLogin;
  let live: MqttClient;
  before(async () => {
    c = await startSecureCollector();
    url = c.collector.brokerUrl()!;
    edge1 = addNode(c.config, 'edge-1');
    edge2 = addNode(c.config, 'edge-2');
    // edge-2 is a real, live node
    live = await client(url, { clientId: 'edgewatch-exporter-edge-2', username: 'edge-2', password: edge2.password });
    await live.publishAsync(topics.heartbeat('edge-2'), JSON.stringify(heartbeat('edge-2')), { qos: 1 });
    await live.publishAsync(topics.status('edge-2'), 'online', { qos: 1, retain: true });
    await eventually('edge-2 online', () => c.collector.nodes.get('edge-2')?.status === 'online');
  });
  after(async () => {
    await live?.endAsync(true);
    await c?.stop();
  });
  const refused = async (reason: string) => sampleValue(parseExposition(await c.collector.registry.metrics()), 'edgewatch_collector_mqtt_refused_total', { reason }) ?? 0;

  it('refuses an anonymous client and a wrong password (CONNACK 5/4)', async () => {
    await assert.rejects(client(url, { clientId: 'edgewatch-exporter-edge-1' }), /Not authorized|Bad username or password/i);
    await assert.rejects(client(url, { clientId: 'edgewatch-exporter-edge-1', username: 'edge-1', password: 'guess' }), /Bad username or password|Not authorized/i);
    assert.ok((await refused('bad_login')) >= 2);
  });

  it("a node's credentials cannot subscribe to another node's commands or to the whole fleet", async () => {
    const e1 = await client(url, { clientId: 'edgewatch-exporter-edge-1', username: 'edge-1', password: edge1.password });
    try {
      // the SUBACK's return codes, as the broker sent them (0x80: refused, [MQTT-3.9.3])
      const suback = new Promise<number[]>((resolve) => e1.on('packetreceive', (p) => p.cmd === 'suback' && resolve((p as unknown as { granted: number[] }).granted)));
      e1.subscribe([topics.commands('edge-2'), 'edgewatch/#', topics.state('edge-2'), topics.commands('edge-1')], { qos: 1 }, () => undefined);
      assert.deepEqual(await suback, [128, 128, 128, 1], 'only its own commands');
    } finally {
      await e1.endAsync(true);
    }
  });

  it("a node cannot speak for another: a forged done ack, a retained offline and a heartbeat for edge-2 change nothing", async () => {
    const record = c.collector.dispatcher.send({ node: 'edge-2', type: 'restart', task: 'web' });
    const e1 = await client(url, { clientId: 'edge-1', username: 'edge-1', password: edge1.password });
    try {
      // QoS 0: the broker drops the connection of a client publishing outside its ACL, so nothing is awaited
      e1.publish(topics.acks('edge-2'), JSON.stringify({ id: record.id, node: 'edge-2', status: 'accepted', at: Date.now() }), { qos: 0 });
      e1.publish(topics.acks('edge-2'), JSON.stringify({ id: record.id, node: 'edge-2', status: 'done', at: Date.now() }), { qos: 0 });
      e1.publish(topics.status('edge-2'), 'offline', { qos: 0, retain: true });
      await eventually('the broker refused them', async () => (await refused('publish_denied')) >= 1);
    } finally {
      await e1.endAsync(true);
    }
    assert.equal(c.collector.dispatcher.get(record.id)?.status, 'pending', 'no ack was believed');
    assert.equal(c.collector.nodes.get('edge-2')?.status, 'online', 'edge-2 is still online');
  });

  it("a node's credentials cannot take over the collector's client id", async () => {
    await assert.rejects(client(url, { clientId: 'edgewatch-collector', username: 'edge-1', password: edge1.password }), /Identifier rejected|client id/i);
    assert.ok((await refused('client_id')) >= 1);
    // the collector's own session still works: a command reaches edge-2's subscription
    const got = new Promise<string>((r) => live.once('message', (t) => r(t)));
    await live.subscribeAsync(topics.commands('edge-2'), { qos: 1 });
    c.collector.dispatcher.send({ node: 'edge-2', type: 'snapshot' });
    assert.equal(await got, topics.commands('edge-2'));
  });

  it('a 100 MiB packet is refused from its header: the connection closes before the bytes are buffered', async () => {
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    const port = Number(new URL(url).port);
    const sock = netConnect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    // a PUBLISH fixed header announcing 100 MiB, then a stream of bytes
    const len = 100 * 1024 * 1024;
    const header = Buffer.from([0x30, (len & 0x7f) | 0x80, ((len >> 7) & 0x7f) | 0x80, ((len >> 14) & 0x7f) | 0x80, (len >> 21) & 0x7f]);
    const closed = new Promise((r) => sock.once('close', r));
    sock.on('error', () => undefined);
    sock.write(header);
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 100 && !sock.destroyed; i++) await new Promise((r) => sock.write(chunk, () => r(undefined)));
    await closed;
    assert.ok((await refused('packet_too_large')) >= 1);
    const grownMB = (process.memoryUsage().rss - rssBefore) / 1e6;
    assert.ok(grownMB < 60, `RSS grew ${grownMB.toFixed(0)} MB`);
    assert.equal(c.collector.nodes.get('edge-2')?.status, 'online');
  });
});
