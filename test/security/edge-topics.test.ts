// Attack (issue 15): edge autonomy adds topics a node speaks on (its incidents) and reads (its signed rule
// set, the collector's presence). A captured node must not push rule sets, fake the collector's presence
// (which tells every node its link is down), report incidents for another node, or read another node's
// rules; and an incident it reports for itself names itself, whatever its payload says.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import type { EdgeReport } from '../../protocol/edge-incident.js';
import { CLOUD_PRESENCE_TOPIC, topics } from '../../protocol/topics.js';
import { addNode, type NodeLogin } from '../support/node-identity.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

const report = (node: string, labelsNode: string): EdgeReport => {
  const now = Date.now();
  return {
    node,
    sentAt: now,
    incidents: [{ id: randomUUID(), rev: 1, rule: 'consecutive-5xx', key: 'k', task: 'web', status: 'resolved', severity: 'critical', labels: { node: labelsNode, task: 'web' }, annotations: {}, startedAt: now - 5000, updatedAt: now, resolvedAt: now, offline: true, traceIds: [], actions: [], timeline: [], logs: [] }],
  };
};

describe('edge autonomy topics on the embedded broker', () => {
  let c: SecureCollector;
  let url: string;
  let edge1: NodeLogin;
  let e1: MqttClient;
  before(async () => {
    c = await startSecureCollector();
    url = c.collector.brokerUrl()!;
    edge1 = addNode(c.config, 'edge-1');
    addNode(c.config, 'edge-2');
    e1 = await mqtt.connectAsync(url, { clientId: 'edgewatch-exporter-edge-1', username: 'edge-1', password: edge1.password, reconnectPeriod: 0, clean: true });
  });
  after(async () => {
    await e1?.endAsync(true);
    await c?.stop();
  });
  const metric = async (name: string, labels: Record<string, string> = {}) => sampleValue(parseExposition(await c.collector.registry.metrics()), name, labels) ?? 0;

  it("a node reads its own rule set and the collector's presence, not another node's rules or incidents", async () => {
    const suback = new Promise<number[]>((resolve) => e1.on('packetreceive', (p) => p.cmd === 'suback' && resolve((p as unknown as { granted: number[] }).granted)));
    e1.subscribe([topics.rules('edge-2'), topics.incidents('edge-2'), topics.rules('edge-1'), CLOUD_PRESENCE_TOPIC], { qos: 1 }, () => undefined);
    assert.deepEqual(await suback, [128, 128, 1, 1]);
  });

  it('an incident reported on its own topic names the node of the topic; a report claiming another node is refused', async () => {
    await e1.publishAsync(topics.incidents('edge-1'), JSON.stringify(report('edge-1', 'edge-2')), { qos: 1 });
    await eventually('the report taken', async () => (await metric('edgewatch_collector_edge_incidents_total', { result: 'accepted' })) === 1);
    const res = (await (await fetch(`${c.base}/api/incidents`, { headers: { authorization: `Bearer ${c.tokens.viewer}` } })).json()) as { incidents: Array<{ origin: string; labels: Record<string, string> }> };
    assert.deepEqual(res.incidents.filter((i) => i.origin === 'edge').map((i) => i.labels.node), ['edge-1'], 'labels say edge-2; the login says edge-1');
    await e1.publishAsync(topics.incidents('edge-1'), JSON.stringify(report('edge-2', 'edge-2')), { qos: 1 });
    await eventually('the report naming edge-2 refused', async () => (await metric('edgewatch_collector_edge_incidents_total', { result: 'rejected' })) === 1);
  });

  it("a node cannot push a rule set, fake the collector's presence, or report for another node", async () => {
    const e = await mqtt.connectAsync(url, { clientId: 'edge-1', username: 'edge-1', password: edge1.password, reconnectPeriod: 0, clean: true });
    const before = await metric('edgewatch_collector_mqtt_refused_total', { reason: 'publish_denied' });
    try {
      // QoS 0: the broker drops a client publishing outside its ACL, so nothing is awaited
      e.publish(topics.rules('edge-1'), '{"version": 99}', { qos: 0, retain: true });
      e.publish(CLOUD_PRESENCE_TOPIC, 'offline', { qos: 0, retain: true });
      e.publish(topics.incidents('edge-2'), JSON.stringify(report('edge-2', 'edge-2')), { qos: 0 });
      await eventually('the broker refused them', async () => (await metric('edgewatch_collector_mqtt_refused_total', { reason: 'publish_denied' })) > before);
    } finally {
      await e.endAsync(true);
    }
    assert.equal(await metric('edgewatch_collector_edge_incidents_total', { result: 'accepted' }), 1, 'no report for edge-2 taken');
  });
});
