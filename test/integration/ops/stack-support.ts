import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { repoPath, ruleFiles, run, substituteGrafanaVariables, variableQueryExpr } from './ops-support.js';

/** Where the test's Prometheus sends its scrapes and alerts. */
export interface StackTargets {
  exporter: string;
  node: string;
  collector: string;
  alertmanager: string;
  prometheus: string;
}

interface PromRule {
  alert?: string;
  for?: string;
}

/**
 * A copy of alerts/prometheus/ in `dir`: prometheus.yml with 1 s scrape and evaluation intervals, the rule
 * files as shipped except that the alerts in `shortFor` wait `for: 1s`, and target lists for `targets`.
 */
export function writePrometheusConfig(dir: string, targets: StackTargets, shortFor: string[]): string {
  const cfg = parseYaml(readFileSync(repoPath('alerts', 'prometheus', 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
  };
  cfg.global = { ...cfg.global, scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' };
  for (const job of cfg.scrape_configs) if (job.job_name === 'prometheus') job.static_configs = [{ targets: [targets.prometheus] }];
  const file = join(dir, 'prometheus.yml');
  writeFileSync(file, stringify(cfg));
  for (const f of ruleFiles()) {
    const rules = parseYaml(readFileSync(f, 'utf8')) as { groups: { rules: PromRule[] }[] };
    for (const g of rules.groups) for (const r of g.rules) if (r.alert && shortFor.includes(r.alert)) r.for = '1s';
    writeFileSync(join(dir, basename(f)), stringify(rules));
  }
  mkdirSync(join(dir, 'targets'), { recursive: true });
  writeFileSync(join(dir, 'targets', 'exporters.yml'), stringify([{ targets: [targets.exporter], labels: { node: targets.node } }]));
  writeFileSync(join(dir, 'targets', 'collector.yml'), stringify([{ targets: [targets.collector] }]));
  writeFileSync(join(dir, 'targets', 'alertmanagers.yml'), stringify([{ targets: [targets.alertmanager] }]));
  return file;
}

interface AmRoute {
  group_wait?: string;
  group_interval?: string;
  routes?: AmRoute[];
}

/** A copy of alerts/alertmanager.yml: the collector receiver posts to `collectorUrl`, on-call to `oncallUrl`, waits of 1 s. */
export function writeAlertmanagerConfig(dir: string, collectorUrl: string, oncallUrl: string, collectorTokenFile: string): string {
  const cfg = parseYaml(readFileSync(repoPath('alerts', 'alertmanager.yml'), 'utf8')) as {
    route: AmRoute;
    receivers: { name: string; webhook_configs?: { url: string; http_config?: { authorization?: { credentials_file?: string } } }[] }[];
  };
  const shorten = (r: AmRoute) => {
    if (r.group_wait) r.group_wait = '1s';
    if (r.group_interval) r.group_interval = '1s';
    for (const c of r.routes ?? []) shorten(c);
  };
  shorten(cfg.route);
  for (const r of cfg.receivers) {
    for (const w of r.webhook_configs ?? []) {
      w.url = r.name === 'edgewatch-collector' ? collectorUrl : oncallUrl;
      // the shipped file authenticates with a token file; here it is the one edgewatch start made
      if (w.http_config?.authorization?.credentials_file) w.http_config.authorization.credentials_file = collectorTokenFile;
    }
  }
  const file = join(dir, 'alertmanager.yml');
  writeFileSync(file, stringify(cfg));
  return file;
}

/**
 * Gives a fresh Prometheus the history the latency baseline needs: `series` at `value` every 15 s from
 * two hours to ten minutes ago, written as TSDB blocks with promtool. The baseline recording rule averages
 * the p99 over an hour ending 30 minutes ago, so without history it (and the ratio over it) is empty.
 */
export function backfill(dataDir: string, series: string, value: number, nowMs: number): void {
  const lines = [`# TYPE ${series.replace(/\{.*$/, '')} gauge`];
  for (let t = nowMs - 2 * 3_600_000; t <= nowMs - 600_000; t += 15_000) lines.push(`${series} ${value} ${(t / 1000).toFixed(3)}`);
  lines.push('# EOF', '');
  const input = join(dataDir, '..', 'backfill.om');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(input, lines.join('\n'));
  const r = run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', input, dataDir]);
  if (r.status !== 0) throw new Error(r.message);
}

/** One query of a dashboard: a panel target or an annotation, and where it is. */
export interface DashboardQuery {
  where: string;
  expr: string;
  kind: 'panel' | 'annotation';
}

interface Panel {
  title?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: Panel[];
}
interface DashboardJson {
  time?: { from?: string };
  panels: Panel[];
  templating?: { list: { name: string; type: string; definition?: string; query?: string | { query?: string } }[] };
  annotations?: { list: { name: string; expr?: string; datasource?: { type?: string } }[] };
}

/** A dashboard's queries, its query variables in order, and its default time range as a PromQL duration. */
export function dashboardQueries(file: string): { queries: DashboardQuery[]; variables: { name: string; expr: string }[]; range: string } {
  const d = JSON.parse(readFileSync(file, 'utf8')) as DashboardJson;
  const queries: DashboardQuery[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) queries.push({ where: `panel "${p.title}" ${t.refId ?? ''}`.trim(), expr: t.expr, kind: 'panel' });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const a of d.annotations?.list ?? []) if (a.expr && a.datasource?.type === 'prometheus') queries.push({ where: `annotation "${a.name}"`, expr: a.expr, kind: 'annotation' });
  const variables = (d.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => ({ name: v.name, expr: v.definition ?? (typeof v.query === 'string' ? v.query : (v.query?.query ?? '')) }));
  const from = /^now-(\d+[smhdw])$/.exec(d.time?.from ?? '');
  return { queries, variables, range: from ? from[1]! : '1h' };
}

/** The label a `label_values(expr, label)` variable lists, and its selector with earlier variables substituted. */
export function labelValuesQuery(definition: string, values: Record<string, string>): { label: string; match: string } | undefined {
  const m = /^\s*label_values\(\s*(?:(.*?)\s*,\s*)?([A-Za-z_]\w*)\s*\)\s*$/s.exec(definition);
  if (!m) return undefined;
  const expr = m[1] ?? variableQueryExpr(definition);
  return { label: m[2]!, match: substituteGrafanaVariables(expr ?? '{__name__=~".+"}', values) };
}
