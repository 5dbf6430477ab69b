import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../../support/components.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { sampleValue, scrape } from '../../support/prom-text.js';
import { startEdgewatch, type StartedEdgewatch } from '../../support/start-process.js';
import { eventually } from '../../support/wait.js';
import { listFiles, repoPath, substituteGrafanaVariables } from './ops-support.js';
import { answers, startAlertmanager, startDaemon, webhookRecorder, type Daemon } from '../../support/daemons.js';
import { backfill, dashboardQueries, labelValuesQuery, writeAlertmanagerConfig, writePrometheusConfig } from './stack-support.js';

const NODE = 'edge-local';
const ALERT = 'EdgewatchTaskHighErrorRatio';

interface PromResponse<T> {
  status: string;
  error?: string;
  data: T;
}
interface Series {
  metric: Record<string, string>;
}

/**
 * `edgewatch start` watched by a real Prometheus running the shipped config and rules, alerting through a
 * real Alertmanager running the shipped config: the scripted fault must travel Prometheus → Alertmanager →
 * the collector's /api/alertmanager, and every Grafana panel must find data in that Prometheus.
 */
describe('edgewatch start in the Prometheus stack (real Prometheus and Alertmanager, shipped configs)', () => {
  const binaries = [requireBinary('prometheus'), requireBinary('prometheus-alertmanager'), requireBinary('promtool')];
  const skip = { skip: binaries.map((b) => b.skip).find(Boolean) ?? false };
  let tmp: ReturnType<typeof tempDir>;
  let ew: StartedEdgewatch | undefined;
  let oncall: Awaited<ReturnType<typeof webhookRecorder>> | undefined;
  let am: Daemon | undefined;
  let prometheus: Daemon | undefined;
  let promUrl = '';
  let amUrl = '';

  async function api<T>(path: string): Promise<T> {
    const body = (await (await fetch(promUrl + path)).json()) as PromResponse<T>;
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  }
  const query = (q: string) => api<{ resultType: string; result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`);

  before(async () => {
    if (skip.skip) return;
    tmp = tempDir('edgewatch-stack-');
    ew = await startEdgewatch(tmp.dir);
    oncall = await webhookRecorder();
    const started = await startAlertmanager(writeAlertmanagerConfig(tmp.dir, `${ew.api}/api/alertmanager`, `${oncall.url}/alerts`, ew.tokenFile('alertmanager')), tmp.dir);
    am = started.daemon;
    amUrl = started.url;
    const amPort = started.port;
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    const promConfig = writePrometheusConfig(
      tmp.dir,
      { exporter: new URL(ew.exporter).host, node: NODE, collector: new URL(ew.api).host, alertmanager: `127.0.0.1:${amPort}`, prometheus: `127.0.0.1:${promPort}` },
      [ALERT],
    );
    const data = join(tmp.dir, 'prometheus');
    backfill(data, `node_task:edgewatch_task_request_duration_seconds:p99{node="${NODE}",task="api"}`, 0.03, Date.now());
    prometheus = await startDaemon(
      'prometheus',
      [`--config.file=${promConfig}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
      () => answers(`${promUrl}/-/ready`),
    );
  });
  after(async () => {
    await prometheus?.stop();
    await am?.stop();
    await ew?.stop();
    await oncall?.close();
    tmp?.cleanup();
  });

  it('scrapes the exporter and the collector that edgewatch start runs', skip, async () => {
    type Target = { labels: Record<string, string>; health: string; lastError: string };
    const targets = await eventually(
      'both edgewatch targets up',
      async () => {
        const t = (await api<{ activeTargets: Target[] }>('/api/v1/targets')).activeTargets.filter((x) => x.labels.job?.startsWith('edgewatch-'));
        return t.length === 2 && t.every((x) => x.health === 'up') && t;
      },
      { timeoutMs: 20_000 },
    );
    assert.deepEqual(targets.map((t) => `${t.labels.job} ${t.labels.node ?? ''}`.trim()).sort(), ['edgewatch-collector', `edgewatch-exporter ${NODE}`]);
    const up = (await query(`edgewatch_task_up{node="${NODE}"}`)).result as Series[];
    assert.deepEqual(up.map((s) => s.metric.task).sort(), ['api', 'cleanup', 'loadgen']);
  });

  it(`the scripted fault fires ${ALERT}; Alertmanager delivers it to the collector's /api/alertmanager and to on-call`, skip, async () => {
    const sel = `alertname="${ALERT}", node="${NODE}", task="api"`;
    await eventually(`${ALERT} firing in Prometheus`, async () => (await query(`ALERTS{${sel}, alertstate="firing"}`)).result.length > 0, { timeoutMs: 90_000, intervalMs: 500 });
    type AmAlert = { labels: Record<string, string>; status: { state: string } };
    await eventually('the alert active in Alertmanager', async () => {
      const alerts = (await (await fetch(`${amUrl}/api/v2/alerts`)).json()) as AmAlert[];
      return alerts.some((a) => a.labels.alertname === ALERT && a.labels.node === NODE && a.status.state === 'active');
    });
    await eventually(
      'the collector to accept the webhook',
      async () => (sampleValue((await scrape(`${ew!.api}/metrics`)).samples, 'edgewatch_collector_alertmanager_received_total', { result: 'accepted' }) ?? 0) >= 1,
      { timeoutMs: 20_000 },
    );
    type Body = { receiver: string; alerts: { labels: Record<string, string>; status: string }[] };
    await eventually('on-call to get it too', () =>
      oncall!.bodies.some((b) => (b.body as Body).alerts.some((a) => a.labels.alertname === ALERT && a.labels.node === NODE && a.status === 'firing')),
    );
  });

  it('every panel query of every Grafana dashboard returns data from this Prometheus', skip, async () => {
    // Collector panels read remediation counters and restarts: wait for the fault's remediation first.
    await eventually(
      'a remediation restart of api',
      async () => (sampleValue((await scrape(`${ew!.api}/metrics`)).samples, 'edgewatch_collector_remediation_actions_total', { action: 'restart', result: 'done' }) ?? 0) >= 1,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // A cron job run (every minute) for the job panels, scraped.
    await eventually('a cleanup run scraped', async () => (await query(`edgewatch_task_run_duration_seconds_count{node="${NODE}", task="cleanup"} > 0`)).result.length > 0, {
      timeoutMs: 75_000,
      intervalMs: 1000,
    });
    const startedSec = Date.now() / 1000 - 600;
    const empty = new Map<string, string>();
    let checked = 0;
    const deadline = Date.now() + 30_000;
    for (;;) {
      empty.clear();
      checked = 0;
      for (const file of listFiles(repoPath('grafana', 'dashboards'), /\.json$/)) {
        const d = dashboardQueries(file);
        const combos = await variableCombos(d.variables);
        assert.ok(combos.length > 0, `${basename(file)}: its variables have values`);
        for (const q of d.queries) {
          checked++;
          let found = false;
          for (const values of combos) {
            const promql = substituteGrafanaVariables(q.expr, { ...values, __rate_interval: '1m', __interval: '15s', __range: d.range });
            const path =
              q.kind === 'panel'
                ? `/api/v1/query?query=${encodeURIComponent(promql)}`
                : `/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${startedSec}&end=${Date.now() / 1000}&step=5`;
            if ((await api<{ result: unknown[] }>(path)).result.length > 0) {
              found = true;
              break;
            }
          }
          if (!found) empty.set(`${basename(file)} ${q.where}`, q.expr);
        }
      }
      if (empty.size === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    assert.ok(checked > 50, `${checked} queries`);
    assert.deepEqual([...empty].map(([where, expr]) => `${where}: ${expr}`), [], 'queries without data');
  });

  /** Every combination of the dashboard's variable values, each variable listed with the earlier ones substituted. */
  async function variableCombos(variables: { name: string; expr: string }[]): Promise<Record<string, string>[]> {
    let combos: Record<string, string>[] = [{}];
    for (const v of variables) {
      const next: Record<string, string>[] = [];
      for (const values of combos) {
        const lv = labelValuesQuery(v.expr, values);
        assert.ok(lv, `variable ${v.name}: label_values(...) query, got ${v.expr}`);
        const listed = await api<string[]>(`/api/v1/label/${lv.label}/values?match[]=${encodeURIComponent(lv.match)}`);
        for (const value of listed) next.push({ ...values, [v.name]: value });
      }
      combos = next;
    }
    return combos;
  }
});
