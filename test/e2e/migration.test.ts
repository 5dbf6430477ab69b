// Node loss: a node whose heartbeats stop gets its task moved to the best node that fits, and its own copy
// (still running: edges are autonomous) is stopped when the node comes back, fenced by its epoch.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCollectorConfig } from '../../collector/config.js';
import { startCollector, type RunningCollector } from '../../collector/main.js';
import { silentLogger } from '../../common/logger.js';
import { commandKeys } from '../support/command-keys.js';
import { startTestExporter } from '../support/exporter-harness.js';
import { sharedMosquitto } from '../support/mosquitto.js';
import { fixture, tempDir } from '../support/paths.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { eventually } from '../support/wait.js';

const RULES = `rules:
  - name: node-heartbeat-lost
    kind: absence
    signal: heartbeat
    lease: 3s
    action: migrate
`;

interface IncidentView {
  id: string;
  rule: string;
  status: string;
  labels: Record<string, string>;
  actions: Array<{ type: string; result: string; target?: string; node: string }>;
}

describe('migration of a lost node', () => {
  const tmp = tempDir();
  const suffix = Math.random().toString(16).slice(2, 8);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => `mig-${n}-${suffix}`) as [string, string, string];
  let skip: string | false = false;
  let collector: RunningCollector | undefined;
  const exporters: Array<Awaited<ReturnType<typeof startTestExporter>>> = [];
  const proxy = new TcpProxy('127.0.0.1', 1883);
  const api = async <T>(path: string) => (await (await fetch(`http://127.0.0.1:${collector!.httpPort}${path}`)).json()) as T;
  const metric = async (i: number, name: string, labels: Record<string, string>) => sampleValue(parseExposition(await exporters[i]!.exporter.registry.metrics()), name, labels);

  before(async () => {
    skip = (await sharedMosquitto()).skip;
    if (skip) return;
    const keys = commandKeys(tmp.dir);
    writeFileSync(join(tmp.dir, 'rules.yml'), RULES);
    // the cloud's record of what runs on a: migration applies this, never what a reports
    writeFileSync(join(tmp.dir, 'desired.yml'), `nodes:\n  ${a}:\n    - {name: web, command: [node, ${JSON.stringify(fixture('json-lines.js'))}], env: {COUNT: 0}}\n`);
    collector = await startCollector(
      loadCollectorConfig(
        [
          'http: {listen: "127.0.0.1:0"}',
          'forward: {listen: "127.0.0.1:0", heartbeat: false}',
          `mqtt: {url: "mqtt://127.0.0.1:1883", clientId: "edgewatch-collector-${suffix}"}`,
          `commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}, ackTimeoutSeconds: 1}`,
          'nodes: {leaseSeconds: 3}',
          `rules: {file: ${JSON.stringify(join(tmp.dir, 'rules.yml'))}}`,
          `desired: {file: ${JSON.stringify(join(tmp.dir, 'desired.yml'))}}`,
          'remediation: {verifySeconds: 1}',
          `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`,
        ].join('\n'),
      ),
      { logger: silentLogger },
    );
    await proxy.start();
    const common = (node: string, broker: string) =>
      `node: ${node}\nmqtt: {url: "${broker}", heartbeatSeconds: 1}\ncommands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}, allow: [restart, stop, start, apply, rollback, release, snapshot]}\n`;
    const web = `tasks:\n  - name: web\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 0}\n`;
    exporters.push(await startTestExporter(common(a, `mqtt://127.0.0.1:${proxy.port}`) + web));
    exporters.push(await startTestExporter(common(b, 'mqtt://127.0.0.1:1883')));
    exporters.push(await startTestExporter(common(c, 'mqtt://127.0.0.1:1883') + 'taints: [{key: dedicated, value: gpu, effect: NoSchedule}]\n'));
    await eventually('three nodes online', async () => {
      const { nodes } = await api<{ nodes: Array<{ node: string; status: string }> }>('/api/nodes');
      return [a, b, c].every((n) => nodes.some((x) => x.node === n && x.status === 'online'));
    });
    await eventually('the task reported by its node', async () => {
      const { nodes } = await api<{ nodes: Array<{ node: string; tasks: Array<{ name: string }> }> }>('/api/nodes');
      return nodes.find((x) => x.node === a)?.tasks.some((t) => t.name === 'web');
    });
  });
  after(async () => {
    for (const e of exporters) await e.stop();
    await collector?.stop();
    await proxy.cut();
    tmp.cleanup();
  });

  it('moves the task to the node that fits, fences the lost one, and stops its copy when it returns', async (t) => {
    if (skip) return t.skip(skip);
    await proxy.cut(); // node a loses its link; its task keeps running
    const incident = await eventually(
      'the migration to verify',
      async () => {
        const { incidents } = await api<{ incidents: IncidentView[] }>('/api/incidents');
        const i = incidents.find((x) => x.rule === 'node-heartbeat-lost' && x.labels.node === a);
        return i?.status === 'resolved' && i;
      },
      { timeoutMs: 30_000 },
    );
    assert.deepEqual(
      incident.actions.map((x) => [x.type, x.target ?? x.node, x.result]).filter(([type]) => type === 'migrate'),
      [['migrate', b, 'done']],
      'b fits; c is tainted',
    );
    assert.equal(await metric(1, 'edgewatch_task_up', { task: 'web' }), 1, 'running on b');
    assert.equal(await metric(0, 'edgewatch_task_up', { task: 'web' }), 1, 'a still runs its copy while cut off');
    const { nodes } = await api<{ nodes: Array<{ node: string; status: string; diagnosis: string; epoch: number | null }> }>('/api/nodes');
    assert.equal(nodes.find((n) => n.node === a)!.status, 'offline');
    await proxy.restore();
    await eventually('the stale copy on a to stop', async () => (await metric(0, 'edgewatch_task_up', { task: 'web' })) === undefined, { timeoutMs: 45_000 });
    assert.equal(await metric(1, 'edgewatch_task_up', { task: 'web' }), 1, 'b keeps the task');
    assert.equal(await metric(0, 'edgewatch_commands_total', { type: 'release', result: 'done' }), 1);
  });
});
