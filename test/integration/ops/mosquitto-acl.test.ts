import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt, { type MqttClient } from 'mqtt';
import { setMosquittoPassword } from '../../../common/adapters/mosquitto-passwd.js';
import { requireBinary } from '../../support/components.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';
import { repoPath } from './ops-support.js';
import { startDaemon, type Daemon } from '../../support/daemons.js';
import { startTestExporter } from '../../support/exporter-harness.js';

const DIR = repoPath('examples', 'compose', 'mosquitto');
/** Passwords of this run, written into a password file the way the compose init service does (edgewatch nodes add --mosquitto-passwd). */
const PASSWORDS: Record<string, string> = Object.fromEntries(['collector', 'edge-1', 'edge-2'].map((u) => [u, randomBytes(18).toString('base64url')]));

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('Mosquitto of the docker-compose demo (examples/compose/mosquitto)', () => {
  const skip = requireBinary('mosquitto', ['-h']);
  let tmp: ReturnType<typeof tempDir>;
  let broker: Daemon | undefined;
  let url = '';
  const clients: MqttClient[] = [];

  before(async () => {
    if (skip.skip) return;
    tmp = tempDir('edgewatch-mosquitto-');
    // mosquitto started as root drops to its own user: the copies must be readable by it.
    chmodSync(tmp.dir, 0o755);
    copyFileSync(join(DIR, 'acl'), join(tmp.dir, 'acl'));
    chmodSync(join(tmp.dir, 'acl'), 0o644);
    for (const [user, password] of Object.entries(PASSWORDS)) setMosquittoPassword(join(tmp.dir, 'passwd'), user, password);
    chmodSync(join(tmp.dir, 'passwd'), 0o644);
    const port = await freePort();
    // The demo's own config, with its container paths and port moved into the temp dir.
    const conf = readFileSync(join(DIR, 'mosquitto.conf'), 'utf8')
      .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
      .replaceAll('/mosquitto/config/', `${tmp.dir}/`)
      .replaceAll('/mosquitto/secrets/', `${tmp.dir}/`)
      .replace(/^persistence true$/m, 'persistence false')
      .replace(/^persistence_location .*$/m, '');
    writeFileSync(join(tmp.dir, 'mosquitto.conf'), conf);
    url = `mqtt://127.0.0.1:${port}`;
    broker = await startDaemon('mosquitto', ['-c', join(tmp.dir, 'mosquitto.conf')], () => portOpen(port));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await broker?.stop();
    tmp?.cleanup();
  });

  async function login(username: string | undefined, password?: string, clientId?: string): Promise<MqttClient> {
    const c = await mqtt.connectAsync(url, { username, password: password ?? (username ? PASSWORDS[username] : undefined), reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...(clientId ? { clientId } : {}) });
    clients.push(c);
    return c;
  }

  async function refused(username: string | undefined, password?: string): Promise<string> {
    try {
      await login(username, password);
      return `connected as ${username}`;
    } catch (err) {
      return (err as Error).message;
    }
  }

  it('refuses anonymous clients and wrong passwords', skip, async () => {
    assert.match(await refused(undefined), /Not authorized|Bad User Name or Password/i);
    assert.match(await refused('edge-1', 'wrong'), /Not authorized|Bad User Name or Password/i);
    assert.match(await refused('edge-3', PASSWORDS['edge-1']), /Not authorized|Bad User Name or Password/i);
  });

  it("delivers a node's commands to that node only", skip, async () => {
    const edge1 = await login('edge-1');
    const collector = await login('collector');
    const got: string[] = [];
    edge1.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await edge1.subscribeAsync(['edgewatch/edge-1/commands', 'edgewatch/edge-2/commands', 'edgewatch/+/heartbeat'], { qos: 1 });
    await collector.publishAsync('edgewatch/edge-2/commands', 'for edge-2', { qos: 1 });
    await collector.publishAsync('edgewatch/edge-1/commands', 'for edge-1', { qos: 1 });
    await eventually("edge-1's own command", () => got.includes('edgewatch/edge-1/commands for edge-1'));
    assert.deepEqual(got, ['edgewatch/edge-1/commands for edge-1'], "edge-1 neither reads edge-2's commands nor other nodes' heartbeats");
  });

  it('lets a node publish only under its own name, and the collector read the whole fleet', skip, async () => {
    const edge1 = await login('edge-1');
    const collector = await login('collector');
    const got: string[] = [];
    collector.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await collector.subscribeAsync(['edgewatch/+/heartbeat', 'edgewatch/+/status', 'edgewatch/+/acks', 'edgewatch/+/state'], { qos: 1 });
    await edge1.publishAsync('edgewatch/edge-2/heartbeat', 'forged', { qos: 1 });
    await edge1.publishAsync('edgewatch/edge-2/acks', 'forged', { qos: 1 });
    for (const kind of ['status', 'heartbeat', 'state', 'acks']) await edge1.publishAsync(`edgewatch/edge-1/${kind}`, 'mine', { qos: 1 });
    await eventually("edge-1's four messages", () => got.length >= 4);
    assert.deepEqual(got, ['status', 'heartbeat', 'state', 'acks'].map((k) => `edgewatch/edge-1/${k} mine`));
  });

  it('keeps an edge from writing commands, even to itself', skip, async () => {
    const edge1 = await login('edge-1');
    const got: string[] = [];
    edge1.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await edge1.subscribeAsync(['edgewatch/edge-1/commands'], { qos: 1 });
    const collector = await login('collector');
    await edge1.publishAsync('edgewatch/edge-1/commands', 'self-issued', { qos: 1 });
    await collector.publishAsync('edgewatch/edge-1/commands', 'signed', { qos: 1 });
    await eventually('the collector command', () => got.length >= 1);
    assert.deepEqual(got, ['edgewatch/edge-1/commands signed']);
  });

  // Guards issue 11: with edge-1's credentials a client took over the collector's client id.
  it("a node's credentials cannot take over the collector's session (the client id is the user name)", skip, async () => {
    const collector = await login('collector', undefined, 'edgewatch-collector');
    let dropped = false;
    collector.on('close', () => (dropped = true));
    await login('edge-1', undefined, 'edgewatch-collector');
    const got: string[] = [];
    collector.on('message', (topic) => got.push(topic));
    await collector.subscribeAsync('edgewatch/+/heartbeat', { qos: 1 });
    const edge2 = await login('edge-2');
    await edge2.publishAsync('edgewatch/edge-2/heartbeat', '{}', { qos: 1 });
    await eventually('the collector still receives', () => got.includes('edgewatch/edge-2/heartbeat'));
    assert.equal(dropped, false, 'the collector was never disconnected');
  });

  // Guards issue 12: the exporter measured link latency on its own heartbeat echoed back, which this ACL
  // does not let a node read, so linkLatencyMs was never set in production.
  it("measures an exporter's link latency through these ACLs (only its own heartbeat, written)", skip, async () => {
    const collector = await login('collector');
    const beats: Array<{ linkLatencyMs?: number }> = [];
    collector.on('message', (topic, payload) => {
      if (topic === 'edgewatch/edge-1/heartbeat') beats.push(JSON.parse(payload.toString()) as { linkLatencyMs?: number });
    });
    await collector.subscribeAsync('edgewatch/edge-1/heartbeat', { qos: 1 });
    const exporter = await startTestExporter(`node: edge-1\nmqtt: {url: "${url}", username: edge-1, password: ${PASSWORDS['edge-1']}, heartbeatSeconds: 1}\n`);
    try {
      const beat = await eventually('a heartbeat that carries the link latency', () => beats.find((b) => typeof b.linkLatencyMs === 'number'), { timeoutMs: 10_000 });
      assert.ok(beat.linkLatencyMs! >= 0 && beat.linkLatencyMs! < 1000, `linkLatencyMs ${beat.linkLatencyMs}`);
    } finally {
      await exporter.stop();
    }
  });
});
