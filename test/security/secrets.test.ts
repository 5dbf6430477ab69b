// Issue 10: GET /api/nodes handed every task's env (DB_PASSWORD, API_TOKEN) to anyone. Env values never
// leave the node now: state messages and the API carry names only; secrets are read on the node from
// files; passwords in URLs are redacted in logs and in --check.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MqttBus } from '../../common/adapters/mqtt-bus.js';
import { createLogger, silentLogger } from '../../common/logger.js';
import { topics } from '../../protocol/topics.js';
import { runCli } from '../support/cli.js';
import { startTestExporter } from '../support/exporter-harness.js';
import { addNode, collectorLogin, mqttLogin } from '../support/node-identity.js';
import { tempDir } from '../support/paths.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

const PASSWORD = 'S3cr3t-db-password-do-not-leak';
const TOKEN = 'api-token-value-do-not-leak';

describe('secrets stay on the node', () => {
  const tmp = tempDir('edgewatch-secrets-');
  let c: SecureCollector;
  let edge: Awaited<ReturnType<typeof startTestExporter>>;
  let spy: MqttBus;
  const wire: string[] = [];

  before(async () => {
    c = await startSecureCollector();
    // a client with the collector's own login sees every node's reports
    spy = new MqttBus({ url: c.collector.brokerUrl()!, clientId: 'edgewatch-collector-spy', ...collectorLogin(c.config) }, silentLogger);
    for (const kind of ['status', 'heartbeat', 'state', 'acks']) await spy.subscribe(`edgewatch/+/${kind}`, (_t, p) => void wire.push(p.toString('utf8')));
    await spy.start();
    writeFileSync(join(tmp.dir, 'db-password'), `${PASSWORD}\n`, { mode: 0o600 });
    // the task writes what it got into a file, so the test can see the secret arrived
    edge = await startTestExporter(
      `node: edge-1\nmqtt: {url: "${c.collector.brokerUrl()}", heartbeatSeconds: 1, ${mqttLogin(addNode(c.config, 'edge-1'))}}\ntasks:\n` +
        `  - name: web\n    command: [node, -e, "require('fs').writeFileSync(process.argv[1], process.env.DB_PASSWORD + ' ' + process.env.API_TOKEN); setInterval(() => {}, 1000)", ${JSON.stringify(join(tmp.dir, 'seen'))}]\n` +
        `    env: {API_TOKEN: ${JSON.stringify(TOKEN)}, DB_PASSWORD: {valueFrom: {file: ${JSON.stringify(join(tmp.dir, 'db-password'))}}}}\n`,
    );
    await eventually('edge-1 reported its task', async () => c.collector.nodes.get('edge-1')?.tasks.has('web'));
    await eventually('the task started with its env', () => readFileSync(join(tmp.dir, 'seen'), 'utf8').length > 0);
  });
  after(async () => {
    await spy?.close();
    await edge?.stop();
    await c?.stop();
    tmp.cleanup();
  });

  it('the task got both values: the literal and the secret read from its file on the node', () => {
    assert.equal(readFileSync(join(tmp.dir, 'seen'), 'utf8'), `${PASSWORD} ${TOKEN}`);
  });

  it('nothing on the wire carries a value: state messages name the variables only', () => {
    const all = wire.join('\n');
    assert.ok(all.includes('"API_TOKEN":{"redacted":true}'), 'the literal is reported as redacted');
    assert.ok(all.includes('"valueFrom":{"file":'), 'the file reference is reported (paths are not secrets)');
    assert.equal(all.includes(TOKEN), false);
    assert.equal(all.includes(PASSWORD), false);
  });

  it('GET /api/nodes shows names with values redacted, to any role', async () => {
    const r = await c.call('/api/nodes', { token: c.tokens.admin });
    assert.equal(r.status, 200);
    assert.equal(r.text.includes(TOKEN) || r.text.includes(PASSWORD), false);
    assert.match(r.text, /"API_TOKEN":\{"redacted":true\}/);
  });

  it('a reported spec cannot be applied elsewhere: its redacted values are refused with the way out', async () => {
    const reported = c.collector.nodes.get('edge-1')!.tasks.get('web')!.spec!;
    const r = await c.call('/api/specs/edge-2/web', { method: 'PUT', token: c.tokens.admin, body: reported });
    assert.equal(r.status, 400);
    assert.match(r.body.message!, /env\.API_TOKEN: this value was redacted in a node report and cannot be applied/);
  });

  it('a password in an MQTT URL is redacted in log lines and in --check', async () => {
    const lines: string[] = [];
    createLogger({ write: (l) => void lines.push(l) }).warn('mqtt error at mqtt://edge-1:hunter2@broker:1883', { url: 'mqtts://edge-1:hunter2@broker:8883' });
    assert.equal(lines.join('').includes('hunter2'), false);
    assert.match(lines.join(''), /mqtt:\/\/edge-1:\[redacted\]@broker:1883/);
    writeFileSync(join(tmp.dir, 'collector.yaml'), 'mqtt: {url: "mqtt://collector:hunter2@broker:1883"}\n');
    const check = await runCli(['collector', '--config', join(tmp.dir, 'collector.yaml'), '--check']);
    assert.equal(check.code, 0, check.stderr);
    assert.equal(check.stdout.includes('hunter2'), false);
    assert.match(check.stdout, /mqtt mqtt:\/\/collector:\[redacted\]@broker:1883/);
  });
});
