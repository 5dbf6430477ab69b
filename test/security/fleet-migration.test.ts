// Issue 11: with only edge-1's password, an attacker published a heartbeat and a state snapshot whose task
// spec was `sh -c ...`, then went silent; node-heartbeat-lost fired and the collector signed an apply of
// that spec for a healthy node, where it ran. The collector now moves only specs it recorded itself.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import mqtt from 'mqtt';
import { topics } from '../../protocol/topics.js';
import { commandKeys } from '../support/command-keys.js';
import { startTestExporter } from '../support/exporter-harness.js';
import { addNode, mqttLogin } from '../support/node-identity.js';
import { fixture, tempDir } from '../support/paths.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

describe('migration never runs a spec a node reported', () => {
  const tmp = tempDir('edgewatch-forged-migration-');
  const pwned = join(tmp.dir, 'pwned.txt');
  let c: SecureCollector;
  let victim: Awaited<ReturnType<typeof startTestExporter>>;

  before(async () => {
    const keys = commandKeys(tmp.dir);
    // the default rule, with a 2 s lease instead of 30 s so the test need not wait
    writeFileSync(join(tmp.dir, 'rules.yml'), 'rules:\n  - {name: node-heartbeat-lost, kind: absence, signal: heartbeat, lease: 2s, action: migrate, severity: critical}\n');
    c = await startSecureCollector([
      `commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}, ackTimeoutSeconds: 1}`,
      'nodes: {leaseSeconds: 2}',
      `rules: {file: ${JSON.stringify(join(tmp.dir, 'rules.yml'))}}`,
    ]);
    // the healthy node, configured as permissively as possible: it would run any apply
    victim = await startTestExporter(
      `node: edge-2\nmqtt: {url: "${c.collector.brokerUrl()}", heartbeatSeconds: 1, ${mqttLogin(addNode(c.config, 'edge-2'))}}\n` +
        `commands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}, allow: [restart, stop, start, apply, rollback, release, snapshot]}\n` +
        `tasks:\n  - {name: web, command: [node, ${JSON.stringify(fixture('json-lines.js'))}], env: {COUNT: 0}}\n`,
    );
    await eventually('edge-2 online', () => c.collector.nodes.get('edge-2')?.status === 'online');
  });
  after(async () => {
    await victim?.stop();
    await c?.stop();
    tmp.cleanup();
  });

  it("edge-1's credentials report an evil spec and go silent: the incident escalates, no apply is signed, nothing runs", async () => {
    const edge1 = addNode(c.config, 'edge-1');
    const attacker = await mqtt.connectAsync(c.collector.brokerUrl()!, { clientId: 'edgewatch-exporter-edge-1', username: 'edge-1', password: edge1.password, reconnectPeriod: 0 });
    const hb = { node: 'edge-1', at: Date.now(), bootId: 'x', load: { cpu: 0, memoryBytes: 1, memoryTotalBytes: 8e9, tasks: 1, spoolRecords: 0, spoolBytes: 0 }, labels: {}, taints: [], maxTasks: 8, epoch: 1, version: 't' };
    const evil = { name: 'evil', version: '1', command: ['sh', '-c', `id > ${pwned}`] };
    await attacker.publishAsync(topics.heartbeat('edge-1'), JSON.stringify(hb), { qos: 1 });
    await attacker.publishAsync(topics.state('edge-1'), JSON.stringify({ node: 'edge-1', bootId: 'x', seq: 0, at: Date.now(), kind: 'snapshot', tasks: [{ name: 'evil', version: '1', state: 'running', restarts: 0, job: false, spec: evil }], removed: [] }), { qos: 1 });
    await attacker.endAsync(true); // silent from now on
    const incident = await eventually(
      'node-heartbeat-lost on edge-1 escalated',
      async () => {
        const { incidents } = (await c.call<{ incidents: Array<{ rule: string; status: string; escalation?: string; labels: { node?: string } }> }>('/api/incidents', { token: c.tokens.viewer })).body;
        return incidents.find((i) => i.rule === 'node-heartbeat-lost' && i.labels.node === 'edge-1' && i.status === 'escalated');
      },
      { timeoutMs: 20_000 },
    );
    assert.match(incident.escalation ?? '', /./);
    const applies = sampleValue(parseExposition(await victim.exporter.registry.metrics()), 'edgewatch_commands_total', { type: 'apply', result: 'done' }) ?? 0;
    assert.equal(applies, 0, 'edge-2 got no apply');
    assert.equal(existsSync(pwned), false, 'nothing ran');
    const { entries } = (await c.call<{ entries: Array<{ action: string }> }>('/api/audit?action=command.apply', { token: c.tokens.admin })).body;
    assert.deepEqual(entries, [], 'the collector signed no apply');
  });
});
