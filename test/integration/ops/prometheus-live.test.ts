import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { requireBinary } from '../../support/components.js';
import { startTestExporter } from '../../support/exporter-harness.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { parseExposition } from '../../support/prom-text.js';
import { eventually } from '../../support/wait.js';
import { ControlMetrics } from '../../../exporter/control/control-metrics.js';
import { SpoolMetrics } from '../../../exporter/spool/spool-metrics.js';
import { answers, startDaemon, type Daemon } from '../../support/daemons.js';
import {
  EXPORTER_AGENT_METRICS,
  listFiles,
  promqlMetricNames,
  repoPath,
  ruleFiles,
  substituteGrafanaVariables,
  variableQueryExpr,
} from './ops-support.js';

const NODE = 'edge-p';

interface PromResponse<T> {
  status: string;
  error?: string;
  data: T;
}
interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** A stand-in for the collector's /metrics, with the collector series the dashboards read. */
function fakeCollectorMetrics(): Promise<Server> {
  const text = [
    'edgewatch_collector_breaker_open 0',
    'edgewatch_collector_incidents{status="firing"} 1',
    'edgewatch_collector_remediation_actions_total{action="restart",result="done"} 3',
    'edgewatch_collector_nodes{status="online"} 1',
    '',
  ].join('\n');
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text));
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

/** The expressions of every alerting and recording rule. */
function alertRuleExprs(): string[] {
  return ruleFiles().flatMap((f) => (parseYaml(readFileSync(f, 'utf8')) as { groups: { rules: { expr: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.expr)));
}

/** Every PromQL text of a Grafana dashboard: panel targets, annotations and query variables. */
function dashboardExprs(json: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.expr === 'string') out.push(o.expr);
      if (o.type === 'query' && typeof o.definition === 'string') {
        const e = variableQueryExpr(o.definition);
        if (e) out.push(e);
      }
      Object.values(o).forEach(walk);
    }
  };
  walk(json);
  return out;
}

describe('Prometheus running alerts/prometheus against a real exporter', () => {
  const skip = requireBinary('prometheus', ['--version']);
  let tmp: ReturnType<typeof tempDir>;
  let exporter: Awaited<ReturnType<typeof startTestExporter>> | undefined;
  let collector: Server | undefined;
  let prometheus: Daemon | undefined;
  let base = '';

  async function api<T>(path: string): Promise<T> {
    const res = await fetch(`${base}${path}`);
    const body = (await res.json()) as PromResponse<T>;
    assert.equal(body.status, 'success', `${path}: ${body.error}`);
    return body.data;
  }
  const query = (q: string) => api<{ result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`).then((d) => d.result);

  before(async () => {
    if (skip.skip) return;
    tmp = tempDir('edgewatch-prometheus-');
    const apiPort = await freePort();
    const task = (name: string) => repoPath('examples', 'tasks', name);
    exporter = await startTestExporter(`node: ${NODE}
tasks:
  - name: api
    command: [node, ${task('http-service.mjs')}]
    env: { PORT: ${apiPort}, FAULT_EVERY_SECONDS: 4, FAULT_FOR_SECONDS: 2 }
    livenessProbe:
      httpGet: { port: ${apiPort}, path: /healthz }
  - name: loadgen
    command: [node, ${task('load-generator.mjs')}]
    env: { TARGET: "http://127.0.0.1:${apiPort}/api/orders", RPS: 20 }
  - name: cleanup
    command: [node, ${task('cleanup-job.mjs')}]
    schedule: "*/2 * * * * *"
`);
    collector = await fakeCollectorMetrics();
    const deadPort = await freePort();

    // The shipped configuration and rules, scraping and evaluating every second, with test targets.
    const cfg = parseYaml(readFileSync(repoPath('alerts', 'prometheus', 'prometheus.yml'), 'utf8')) as { global: Record<string, string> };
    cfg.global = { ...cfg.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
    writeFileSync(join(tmp.dir, 'prometheus.yml'), stringify(cfg));
    for (const f of ruleFiles()) copyFileSync(f, join(tmp.dir, basename(f)));
    mkdirSync(join(tmp.dir, 'targets'));
    const exporterPort = new URL(exporter.url).port;
    writeFileSync(
      join(tmp.dir, 'targets', 'exporters.yml'),
      stringify([
        { targets: [`127.0.0.1:${exporterPort}`], labels: { node: NODE } },
        // No node label and nothing listening: node comes from the host, and the node is unreachable.
        { targets: [`localhost:${deadPort}`] },
      ]),
    );
    writeFileSync(join(tmp.dir, 'targets', 'collector.yml'), stringify([{ targets: [`127.0.0.1:${(collector.address() as AddressInfo).port}`] }]));
    writeFileSync(join(tmp.dir, 'targets', 'alertmanagers.yml'), stringify([{ targets: [`127.0.0.1:${deadPort}`] }]));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prometheus = await startDaemon(
      'prometheus',
      [`--config.file=${join(tmp.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(tmp.dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      () => answers(`${base}/-/ready`),
    );
  });
  after(async () => {
    await prometheus?.stop();
    await exporter?.stop();
    await new Promise((r) => (collector ? collector.close(r) : r(undefined)));
    tmp?.cleanup();
  });

  it('scrapes the exporter and the collector, with the node label on every exporter target', skip, async () => {
    type Target = { labels: Record<string, string>; health: string };
    const targets = await eventually(
      'all targets scraped once',
      async () => {
        const t = (await api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets.filter((x) => x.labels.job !== 'prometheus');
        return t.length === 3 && t.every((x) => x.health !== 'unknown') && t;
      },
      { timeoutMs: 20_000 },
    );
    const byJob = (job: string) => targets.filter((t) => t.labels.job === job);
    assert.deepEqual(byJob('edgewatch-exporter').map((t) => [t.labels.node, t.health]).sort(), [
      [NODE, 'up'],
      ['localhost', 'down'],
    ]);
    assert.deepEqual(byJob('edgewatch-collector').map((t) => t.health), ['up']);
    const up = await query(`up{job="edgewatch-exporter", node="${NODE}"}`);
    assert.equal(up[0]?.value[1], '1');
  });

  it('records request rates, the 5xx ratio, p99 and task states from the example tasks', skip, async () => {
    const sel = `node="${NODE}", task="api"`;
    await eventually('api request rate', async () => (await query(`node_task:edgewatch_task_requests:rate5m{${sel}} > 0`))[0], { timeoutMs: 30_000 });
    // The service answers 500 two seconds in every four: some requests fail, not all.
    await eventually('5xx ratio', async () => (await query(`node_task:edgewatch_task_requests_5xx:ratio_rate5m{${sel}} > 0.05 < 1`))[0], { timeoutMs: 30_000 });
    await eventually('p99', async () => (await query(`node_task:edgewatch_task_request_duration_seconds:p99{${sel}}`))[0], { timeoutMs: 30_000 });
    const running = await query(`node_state:edgewatch_task_state:sum{node="${NODE}", state="running"}`);
    assert.ok(Number(running[0]?.value[1]) >= 2, 'api and loadgen are running');
    assert.deepEqual(await query(`node_task:edgewatch_task_requests:rate5m{task="loadgen"} > 0`), [], 'the load generator does not count requests twice');
  });

  it('evaluates every rule without errors and raises the alerts the live data calls for', skip, async () => {
    type Rule = { name: string; health: string; lastError?: string; lastEvaluation: string };
    const groups = await eventually(
      'every rule evaluated',
      async () => {
        const g = (await api<{ groups: { name: string; rules: Rule[] }[] }>('/api/v1/rules')).groups;
        return g.every((x) => x.rules.every((r) => !r.lastEvaluation.startsWith('0001'))) && g;
      },
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(groups.map((g) => g.name).sort(), ['edgewatch.edge', 'edgewatch.fleet', 'edgewatch.recording', 'edgewatch.tasks']);
    for (const g of groups) for (const r of g.rules) assert.equal(r.health, 'ok', `${g.name}/${r.name}: ${r.lastError}`);

    type Alert = { labels: Record<string, string>; state: string };
    const alerts = await eventually(
      'unreachable node and error ratio alerts pending',
      async () => {
        const a = (await api<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
        const names = a.map((x) => `${x.labels.alertname} ${x.labels.node}${x.labels.task ? '/' + x.labels.task : ''}`);
        return names.includes('EdgewatchNodeUnreachable localhost') && names.includes(`EdgewatchTaskHighErrorRatio ${NODE}/api`) && a;
      },
      { timeoutMs: 30_000 },
    );
    const unreachable = alerts.find((a) => a.labels.alertname === 'EdgewatchNodeUnreachable')!;
    assert.equal(unreachable.labels.severity, 'critical');
    assert.ok(!alerts.some((a) => a.labels.alertname === 'EdgewatchTaskDown'), 'no task is down');
  });

  it('accepts every dashboard query', skip, async () => {
    const values = { node: NODE, task: 'api', __rate_interval: '1m', __range: '1h' };
    let n = 0;
    for (const file of listFiles(repoPath('grafana', 'dashboards'), /\.json$/)) {
      for (const expr of dashboardExprs(JSON.parse(readFileSync(file, 'utf8')))) {
        const q = substituteGrafanaVariables(expr, values);
        const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as PromResponse<unknown>;
        assert.equal(body.status, 'success', `${basename(file)}: ${q}: ${body.error}`);
        n++;
      }
    }
    assert.ok(n > 40, `${n} queries checked`);
  });

  it('finds every exporter metric the rules and dashboards use on the exporter', skip, async () => {
    await eventually('a job run', async () => (await query(`edgewatch_task_run_duration_seconds_count{node="${NODE}"} > 0`))[0], { timeoutMs: 20_000 });
    const exposed = new Set(parseExposition(await (await fetch(`${exporter!.url}/metrics`)).text()).map((s) => s.name.replace(/_(sum|count)$/, '')));
    const exprs = [
      ...alertRuleExprs(),
      ...listFiles(repoPath('grafana', 'dashboards'), /\.json$/).flatMap((f) => dashboardExprs(JSON.parse(readFileSync(f, 'utf8')))),
    ];
    const used = new Set(exprs.flatMap((e) => promqlMetricNames(e)).filter((n) => n.startsWith('edgewatch_') && !n.startsWith('edgewatch_collector_')));
    assert.ok(used.size > 10);
    for (const name of [...used].filter((n) => n.startsWith('edgewatch_task_'))) assert.ok(exposed.has(name), `the exporter exposes ${name}`);
    // spool/shipping and control-channel metrics exist only when forward.address / mqtt.url are set (this
    // exporter has neither): check the rules and dashboards use the names that code declares
    const declared = new Set([...SpoolMetrics.names, ...ControlMetrics.names]);
    for (const name of EXPORTER_AGENT_METRICS.filter((n) => used.has(n))) assert.ok(exposed.has(name) || declared.has(name), `the exporter declares ${name}`);
  });
});
