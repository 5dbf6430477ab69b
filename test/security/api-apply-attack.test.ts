// Issue 10: one unauthenticated POST /api/commands of type apply with `sh -c "id > pwned.txt"` ran on the
// edge node and answered `done` in 84 ms. Here a real exporter is connected: without a token, and with a
// token below admin, the apply is refused, nothing is signed, and no file appears.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { commandKeys } from '../support/command-keys.js';
import { startTestExporter } from '../support/exporter-harness.js';
import { addNode, mqttLogin } from '../support/node-identity.js';
import { fixture, tempDir } from '../support/paths.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

describe('an apply of a shell command through the API', () => {
  const tmp = tempDir('edgewatch-apply-attack-');
  const pwned = join(tmp.dir, 'pwned.txt');
  let c: SecureCollector;
  let edge: Awaited<ReturnType<typeof startTestExporter>>;
  const evil = { node: 'edge-1', type: 'apply', wait: true, timeoutSeconds: 3, spec: { name: 'evil', command: ['sh', '-c', `id > ${pwned}`] } };

  before(async () => {
    const keys = commandKeys(tmp.dir);
    c = await startSecureCollector([`commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}}`]);
    edge = await startTestExporter(
      `node: edge-1\nmqtt: {url: "${c.collector.brokerUrl()}", heartbeatSeconds: 1, ${mqttLogin(addNode(c.config, 'edge-1'))}}\ncommands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}}\ntasks:\n  - {name: web, command: [node, ${JSON.stringify(fixture('json-lines.js'))}], env: {COUNT: 0}}\n`,
    );
    await eventually('edge-1 online', async () => c.collector.nodes.get('edge-1')?.status === 'online');
  });
  after(async () => {
    await edge?.stop();
    await c?.stop();
    tmp.cleanup();
  });
  const commandsSeen = async () => {
    const s = parseExposition(await edge.exporter.registry.metrics());
    return ['done', 'failed', 'rejected'].reduce((n, result) => n + (sampleValue(s, 'edgewatch_commands_total', { type: 'apply', result }) ?? 0), 0);
  };

  it('without a token: 401, nothing signed, no file', async () => {
    const r = await c.call('/api/commands', { body: evil });
    assert.equal(r.status, 401);
    assert.equal(await commandsSeen(), 0);
    assert.equal(existsSync(pwned), false);
  });

  it('with an operator token: 403 naming the admin role, nothing signed, no file', async () => {
    const r = await c.call('/api/commands', { token: c.tokens.operator, body: evil });
    assert.deepEqual([r.status, r.body.message], [403, 'role admin needed for apply (oncall has operator)']);
    assert.equal(await commandsSeen(), 0);
    assert.equal(existsSync(pwned), false);
  });

  it('an operator restart of a real task still goes through (the refusal is by role, not a broken channel)', async () => {
    const r = await c.call<{ status: string }>('/api/commands', { token: c.tokens.operator, body: { node: 'edge-1', task: 'web', type: 'restart' } });
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'done');
  });
});
