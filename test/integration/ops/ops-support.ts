import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { Conditions } from '../../../exporter/health/conditions.js';
import { AgentMetrics } from '../../../exporter/metrics/agent-metrics.js';
import { TaskMetrics } from '../../../exporter/metrics/task-metrics.js';
import { EdgeMetrics } from '../../../exporter/edge/edge-metrics.js';
import { repoRoot } from '../../support/paths.js';

/** Absolute path of a file in the repository. */
export const repoPath = (...parts: string[]): string => join(repoRoot, ...parts);

/** Files under `dir` (recursive) whose path matches `pattern`, sorted, as absolute paths. */
export function listFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (pattern.test(p)) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Repository-relative path, for messages. */
export const rel = (p: string): string => relative(repoRoot, p);

export function readYaml(path: string): unknown {
  return parseYaml(readFileSync(path, 'utf8'), { merge: true });
}

/** Runs a command to completion; the result carries a message fit for an assertion. */
export function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): { status: number | null; stdout: string; stderr: string; message: string } {
  const r = spawnSync(cmd, args, { cwd: repoRoot, encoding: 'utf8', timeout: 120_000, ...options });
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  const message = `${cmd} ${args.join(' ')} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  return { status: r.status, stdout, stderr, message };
}

/**
 * node arguments that run `edgewatch ARGS`. bin/edgewatch.js runs the build in dist/; a test compiled
 * into another folder (EDGEWATCH_DIST) runs the same CLI entry from its own build instead.
 */
export function edgewatchArgs(args: string[]): string[] {
  const buildDir = fileURLToPath(new URL('../../../', import.meta.url));
  if (resolve(buildDir) === resolve(repoRoot, 'dist')) return [repoPath('bin', 'edgewatch.js'), ...args];
  const entry = pathToFileURL(join(buildDir, 'cli', 'main.js')).href;
  return ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`, ...args];
}

// ------------------------------------------------------------------------------------------------
// Metric names the rules and dashboards may use.

/** Exporter agent metrics of the contract (all labelled node). */
export const EXPORTER_AGENT_METRICS = [
  'edgewatch_spool_records',
  'edgewatch_spool_bytes',
  'edgewatch_spool_capacity_bytes',
  'edgewatch_shipped_records_total',
  'edgewatch_dropped_records_total',
  'edgewatch_mqtt_connected',
  'edgewatch_commands_total',
];

/** Collector metrics of the contract. */
export const COLLECTOR_METRICS = [
  'edgewatch_collector_remediation_actions_total',
  'edgewatch_collector_incidents',
  'edgewatch_collector_breaker_open',
  'edgewatch_collector_nodes',
  'edgewatch_collector_ingested_records_total',
  'edgewatch_collector_rejected_total',
  'edgewatch_collector_webhook_deliveries_total',
  'edgewatch_collector_edge_rule_set_version',
  'edgewatch_collector_node_rule_set_version',
  'edgewatch_collector_edge_incidents_total',
  'edgewatch_collector_edge_fenced_total',
];

/** Series Prometheus itself produces. */
export const PROMETHEUS_METRICS = ['up', 'ALERTS', 'ALERTS_FOR_STATE', 'scrape_duration_seconds', 'scrape_samples_scraped'];

/** Summaries and histograms expose these extra series. */
const SUFFIXES = ['_sum', '_count', '_bucket'];

/** Names of the recording rules in alerts/prometheus/*.rules.yml. */
export function recordingRuleNames(): string[] {
  const names: string[] = [];
  for (const file of ruleFiles()) {
    for (const g of (readYaml(file) as RuleFile).groups) for (const r of g.rules) if (r.record) names.push(r.record);
  }
  return names;
}

/** Every metric name a query may use: the exporter's (from its code and the contract), the collector's, Prometheus's and the recording rules. */
export function knownMetricNames(): Set<string> {
  return new Set([...TaskMetrics.names, ...AgentMetrics.names, ...Conditions.names, ...EdgeMetrics.names, ...EXPORTER_AGENT_METRICS, ...COLLECTOR_METRICS, ...PROMETHEUS_METRICS, ...recordingRuleNames()]);
}

/** Whether `name` is known, directly or as the _sum/_count/_bucket series of a known metric. */
export function isKnownMetric(name: string, known: Set<string>): boolean {
  if (known.has(name)) return true;
  return SUFFIXES.some((s) => name.endsWith(s) && known.has(name.slice(0, -s.length)));
}

// ------------------------------------------------------------------------------------------------
// Prometheus rule files.

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

export const ruleFiles = (): string[] => listFiles(repoPath('alerts', 'prometheus'), /\.rules\.yml$/);
export const ruleTestFiles = (): string[] => listFiles(repoPath('alerts', 'prometheus', 'tests'), /\.ya?ml$/);

export function alertRules(): Rule[] {
  return ruleFiles().flatMap((f) => (readYaml(f) as RuleFile).groups.flatMap((g) => g.rules.filter((r) => r.alert)));
}

// ------------------------------------------------------------------------------------------------
// PromQL and Grafana template text.

const GRAFANA_VARIABLE = /\$\{([A-Za-z0-9_.]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_]+)(?::[^\]]*)?\]\]|\$([A-Za-z0-9_]+)/g;

/** Grafana variables a text refers to ($x, ${x}, ${x:fmt}, [[x]]), without Grafana's built-ins ($__...). */
export function grafanaVariables(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(GRAFANA_VARIABLE)) {
    const name = (m[1] ?? m[2] ?? m[3])!.split('.')[0]!;
    if (!name.startsWith('__')) out.add(name);
  }
  return [...out];
}

/**
 * The text with every Grafana variable replaced, so it parses as PromQL: `values[name]` when given,
 * durations for $__rate_interval, $__interval and $__range, `.*` for the rest.
 */
export function substituteGrafanaVariables(text: string, values: Record<string, string> = {}): string {
  return text.replace(GRAFANA_VARIABLE, (_all, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c)!;
    if (values[name] !== undefined) return values[name];
    if (name === '__rate_interval' || name === '__interval' || name === '__range') return '5m';
    if (name.startsWith('__range_s') || name.startsWith('__interval_ms')) return '300';
    return '.*';
  });
}

const TOKEN = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`|\{(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^}"'])*\}|\[[^\]]*\]|\d[\w.]*|[A-Za-z_:][\w:]*|\S/g;
const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan', 'atan2']);
const MODIFIERS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const AGGREGATORS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);

/** Metric names a PromQL expression selects (identifiers that are not functions, keywords or label lists). */
export function promqlMetricNames(expr: string): string[] {
  const tokens = substituteGrafanaVariables(expr).match(TOKEN) ?? [];
  const names = new Set<string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!/^[A-Za-z_:][\w:]*$/.test(t)) continue;
    const next = tokens[i + 1];
    if (MODIFIERS.has(t)) {
      if (next === '(') i = closing(tokens, i + 1);
      continue;
    }
    if (KEYWORDS.has(t.toLowerCase()) || next === '(' || AGGREGATORS.has(t)) continue;
    names.add(t);
  }
  return [...names];
}

function closing(tokens: string[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i] === '(') depth++;
    else if (tokens[i] === ')' && --depth === 0) return i;
  }
  return tokens.length;
}

/** The PromQL inside a Grafana Prometheus variable query: label_values(expr, label) and query_result(expr); undefined for metrics-only forms. */
export function variableQueryExpr(query: string): string | undefined {
  const lv = /^\s*label_values\(\s*(.*?)\s*,\s*[A-Za-z_]\w*\s*\)\s*$/s.exec(query);
  if (lv) return lv[1];
  const qr = /^\s*query_result\(\s*(.*)\s*\)\s*$/s.exec(query);
  if (qr) return qr[1];
  if (/^\s*label_values\(\s*[A-Za-z_]\w*\s*\)\s*$/.test(query)) return undefined;
  return query;
}

/** The anchors GitHub generates for the Markdown headings of a file. */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]!
      .toLowerCase()
      .replace(/<[^>]*>/g, '')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}
