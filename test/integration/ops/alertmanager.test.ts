import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../../support/components.js';
import { tempDir } from '../../support/paths.js';
import { eventually } from '../../support/wait.js';
import { alertRules, readYaml, repoPath, run } from './ops-support.js';
import { startAlertmanager, webhookRecorder, type Daemon } from '../../support/daemons.js';
import { writeAlertmanagerConfig } from './stack-support.js';

const CONFIG = repoPath('alerts', 'alertmanager.yml');
const COLLECTOR_URL = 'http://collector:8080/api/alertmanager';
const TOKEN = 'ewt_0123456789abcdef_alertmanager-token-for-the-test-000000000';

interface Route {
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  continue?: boolean;
  routes?: Route[];
}
interface AmConfig {
  route: Route;
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: { name: string; webhook_configs?: { url: string; send_resolved?: boolean }[] }[];
}
interface WebhookBody {
  version: string;
  status: string;
  receiver: string;
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string>; endsAt: string; fingerprint: string }[];
}

describe('Alertmanager config (alerts/alertmanager.yml)', () => {
  const amtool = requireBinary('amtool');

  it('amtool check-config accepts it', amtool, () => {
    const r = run('amtool', ['check-config', CONFIG]);
    assert.equal(r.status, 0, r.message);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('routes every edgewatch alert to the collector and to on-call', amtool, () => {
    for (const a of alertRules()) {
      const r = run('amtool', ['config', 'routes', 'test', `--config.file=${CONFIG}`, `alertname=${a.alert}`, 'node=edge-1', 'task=api', `severity=${a.labels!.severity}`]);
      assert.equal(r.status, 0, r.message);
      assert.equal(r.stdout.trim(), 'edgewatch-collector,oncall', `${a.alert}: ${r.message}`);
    }
  });

  it('sends to the collector webhook with send_resolved, groups by alertname/node/task, and inhibits task alerts of an unreachable node', () => {
    const cfg = readYaml(CONFIG) as AmConfig;
    const collector = cfg.receivers.find((r) => r.name === 'edgewatch-collector');
    assert.deepEqual(collector?.webhook_configs?.map((w) => [w.url, w.send_resolved]), [[COLLECTOR_URL, true]]);
    for (const r of cfg.receivers) for (const w of r.webhook_configs ?? []) assert.equal(w.send_resolved, true, `${r.name}: send_resolved`);
    assert.deepEqual(cfg.route.group_by, ['alertname', 'node', 'task']);
    const rule = cfg.inhibit_rules.find((i) => i.source_matchers.some((m) => m.includes('EdgewatchNodeUnreachable')));
    assert.ok(rule, 'an inhibition with EdgewatchNodeUnreachable as source');
    assert.deepEqual(rule.equal, ['node']);
  });
});

describe('Alertmanager running alerts/alertmanager.yml', () => {
  const skip = requireBinary('prometheus-alertmanager', ['--version']);
  let tmp: ReturnType<typeof tempDir>;
  let collector: Awaited<ReturnType<typeof webhookRecorder>>;
  let oncall: Awaited<ReturnType<typeof webhookRecorder>>;
  let am: Daemon | undefined;
  let amUrl = '';

  before(async () => {
    if (skip.skip) return;
    tmp = tempDir('edgewatch-am-');
    collector = await webhookRecorder();
    oncall = await webhookRecorder();
    // The shipped file with the receivers' URLs pointed at local recorders, the waits shortened, and a token file.
    writeFileSync(join(tmp.dir, 'edgewatch.token'), `${TOKEN}\n`);
    writeAlertmanagerConfig(tmp.dir, `${collector.url}/api/alertmanager`, `${oncall.url}/alerts`, join(tmp.dir, 'edgewatch.token'));
    const started = await startAlertmanager(join(tmp.dir, 'alertmanager.yml'), tmp.dir);
    am = started.daemon;
    amUrl = started.url;
  });
  after(async () => {
    await am?.stop();
    await collector?.close();
    await oncall?.close();
    tmp?.cleanup();
  });

  async function post(alerts: { labels: Record<string, string>; endsAt?: string }[]): Promise<void> {
    const res = await fetch(`${amUrl}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((a) => ({ ...a, annotations: { summary: 'test' }, generatorURL: 'http://prometheus.test/graph' }))),
    });
    assert.equal(res.status, 200, await res.text());
  }

  const sent = (rec: { bodies: { body: unknown }[] }) => rec.bodies.map((b) => b.body as WebhookBody);
  const has = (bodies: WebhookBody[], alertname: string, node: string, status = 'firing') =>
    bodies.some((b) => b.alerts.some((a) => a.labels.alertname === alertname && a.labels.node === node && a.status === status));

  it('delivers v4 webhooks to both receivers, inhibits the unreachable node\'s task alerts, and sends the resolution', skip, async () => {
    const edge1Down = { labels: { alertname: 'EdgewatchNodeUnreachable', severity: 'critical', node: 'edge-1', instance: 'edge-1:9464', job: 'edgewatch-exporter' } };
    const edge1Task = { labels: { alertname: 'EdgewatchTaskDown', severity: 'critical', node: 'edge-1', task: 'api' } };
    const edge2Task = { labels: { alertname: 'EdgewatchTaskDown', severity: 'critical', node: 'edge-2', task: 'api' } };
    await post([edge1Down, edge1Task, edge2Task]);

    for (const rec of [collector, oncall]) {
      await eventually('both uninhibited alerts delivered', () => has(sent(rec), 'EdgewatchNodeUnreachable', 'edge-1') && has(sent(rec), 'EdgewatchTaskDown', 'edge-2'), { timeoutMs: 20_000 });
    }
    assert.ok(collector.bodies.every((b) => b.path === '/api/alertmanager'), 'the collector receiver posts to /api/alertmanager');
    assert.ok(collector.bodies.every((b) => b.authorization === `Bearer ${TOKEN}`), 'with the token of its credentials_file');
    assert.ok(oncall.bodies.every((b) => b.authorization === undefined), 'the on-call receiver gets no collector token');
    const body = sent(collector).find((b) => has([b], 'EdgewatchTaskDown', 'edge-2'))!;
    assert.equal(body.version, '4');
    assert.equal(body.status, 'firing');
    assert.equal(body.receiver, 'edgewatch-collector');
    assert.deepEqual(body.groupLabels, { alertname: 'EdgewatchTaskDown', node: 'edge-2', task: 'api' });
    assert.match(body.alerts[0]!.fingerprint, /^[0-9a-f]{16}$/);

    // Resolve edge-2's task; the inhibited edge-1 task alert must never have gone out meanwhile.
    await post([{ ...edge2Task, endsAt: new Date().toISOString() }]);
    for (const rec of [collector, oncall]) {
      await eventually('the resolution delivered', () => has(sent(rec), 'EdgewatchTaskDown', 'edge-2', 'resolved'), { timeoutMs: 20_000 });
      assert.ok(!has(sent(rec), 'EdgewatchTaskDown', 'edge-1'), `edge-1's task alert is inhibited while edge-1 is unreachable:\n${JSON.stringify(sent(rec), null, 1)}`);
    }
  });
});
