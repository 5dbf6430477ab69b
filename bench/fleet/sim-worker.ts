import { topics } from '../../protocol/topics.js';
import { ForwardSender } from './forward-sender.js';
import { FrameTemplate, requestLines } from './frames.js';
import { MiniMqtt } from './mini-mqtt.js';

/** What the fleet bench tells one simulator process. */
export interface SimPlan {
  nodes: Array<{ name: string; password: string }>;
  sharedKey: string;
  forwardPort: number;
  mqttPort: number;
  /** Records per second per node (sent six to a chunk). */
  recordsPerSecond: number;
  heartbeatMs: number;
  /** Nodes that start answering 5xx: their sixth 5xx is shipped at `atMs` after start. */
  faults: Array<{ node: string; atMs: number }>;
  /** Nodes whose MQTT connection is dropped (no DISCONNECT) at `atMs` after start. */
  kills: Array<{ node: string; atMs: number }>;
}

/** What a simulator reports each second. */
export interface SimReport {
  sentRecords: number;
  ackedRecords: number;
  /** Records sent and not acked yet. */
  inflight: number;
  mqttConnected: number;
  /** Nodes whose last ack is under 5 s old. */
  shipping: number;
  detectionsMs: number[];
  cpuSeconds: number;
}

interface SimNode {
  name: string;
  mqtt: MiniMqtt;
  forward: ForwardSender;
  normal: FrameTemplate;
  fault: FrameTemplate;
  lastAck: number;
  faultSentAt?: number;
}

const plan = await new Promise<SimPlan>((resolve) => process.once('message', (m) => resolve(m as SimPlan)));
const host = '127.0.0.1';
const startedAt = Date.now();
const stats = { sentRecords: 0, ackedRecords: 0, detectionsMs: [] as number[] };
const nodes = new Map<string, SimNode>();
const bootId = `sim-${process.pid}`;

function heartbeat(name: string): string {
  return JSON.stringify({ node: name, at: Date.now(), bootId, load: { cpu: 0.2, memoryBytes: 2e8, memoryTotalBytes: 2e9, tasks: 1, spoolRecords: 0, spoolBytes: 0 }, labels: {}, taints: [], maxTasks: 8, epoch: 1, version: 'sim' });
}

function snapshot(name: string): string {
  return JSON.stringify({ node: name, bootId, seq: 0, at: Date.now(), kind: 'snapshot', tasks: [{ name: 'web', version: '1', state: 'running', restarts: 0, job: false }], removed: [] });
}

for (const n of plan.nodes) {
  const node: SimNode = {
    name: n.name,
    normal: new FrameTemplate(n.name, 'web', requestLines(n.name, 'web', 200, `${n.name}-spool-a`)),
    fault: new FrameTemplate(n.name, 'web', requestLines(n.name, 'web', 503, `${n.name}-spool-b`)),
    forward: new ForwardSender(host, plan.forwardPort, { username: n.name, password: n.password, sharedKey: plan.sharedKey }),
    lastAck: 0,
    mqtt: undefined as unknown as MiniMqtt,
  };
  node.mqtt = new MiniMqtt(
    host,
    plan.mqttPort,
    { clientId: `edgewatch-exporter-${n.name}`, will: { topic: topics.status(n.name), payload: 'offline' }, keepalive: 15, subscribe: topics.commands(n.name) },
    {
      connected() {
        node.mqtt.publish(topics.status(n.name), 'online', 1, true);
        node.mqtt.publish(topics.heartbeat(n.name), heartbeat(n.name), 0);
        node.mqtt.publish(topics.state(n.name), snapshot(n.name), 1);
      },
      closed() {},
      message(_topic, payload) {
        const cmd = JSON.parse(payload.toString('utf8')) as { id: string; type: string };
        if (cmd.type === 'restart' && node.faultSentAt !== undefined) {
          stats.detectionsMs.push(Date.now() - node.faultSentAt);
          node.faultSentAt = undefined;
        }
        // the exporter's answer: accepted, then done
        for (const status of ['accepted', 'done']) node.mqtt.publish(topics.acks(n.name), JSON.stringify({ id: cmd.id, node: n.name, status, at: Date.now() }), 1);
      },
    },
  );
  nodes.set(n.name, node);
}

/** Ships one chunk and waits for its ack; failures are retried on the next round (the record stays in flight). */
async function ship(node: SimNode, template: FrameTemplate): Promise<void> {
  const { frame, chunk } = template.stamp(Date.now());
  stats.sentRecords += template.records;
  try {
    await node.forward.send(frame, chunk);
    stats.ackedRecords += template.records;
    node.lastAck = Date.now();
  } catch {
    stats.sentRecords -= template.records; // not delivered: offered again next round
  }
}

const chunkEveryMs = (6 / plan.recordsPerSecond) * 1000;
for (const node of nodes.values()) {
  // spread connections and sends over the period so the fleet does not beat in step
  setTimeout(() => node.mqtt.start(), Math.random() * 2000);
  setTimeout(() => {
    let busy = false;
    setInterval(() => {
      if (busy) return;
      busy = true;
      void ship(node, node.normal).finally(() => (busy = false));
    }, chunkEveryMs);
    setInterval(() => node.mqtt.publish(topics.heartbeat(node.name), heartbeat(node.name), 0), plan.heartbeatMs);
  }, Math.random() * chunkEveryMs);
}

for (const f of plan.faults) {
  setTimeout(() => {
    const node = nodes.get(f.node)!;
    node.faultSentAt = Date.now();
    void ship(node, node.fault);
  }, f.atMs - (Date.now() - startedAt));
}

for (const k of plan.kills) {
  setTimeout(() => {
    nodes.get(k.node)!.mqtt.kill();
    // told at once, so the bench starts watching the collector right away
    process.send?.({ killed: [{ node: k.node, atEpochMs: Date.now() }] });
  }, k.atMs - (Date.now() - startedAt));
}

setInterval(() => {
  const now = Date.now();
  let connected = 0;
  let shipping = 0;
  for (const n of nodes.values()) {
    if (n.mqtt.connected) connected++;
    if (now - n.lastAck < 5000) shipping++;
  }
  const cpu = process.cpuUsage();
  const report: SimReport = {
    sentRecords: stats.sentRecords,
    ackedRecords: stats.ackedRecords,
    inflight: stats.sentRecords - stats.ackedRecords,
    mqttConnected: connected,
    shipping,
    detectionsMs: stats.detectionsMs.splice(0),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  process.send?.(report);
}, 1000);
