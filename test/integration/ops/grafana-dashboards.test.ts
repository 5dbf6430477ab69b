import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import {
  grafanaVariables,
  isKnownMetric,
  knownMetricNames,
  listFiles,
  promqlMetricNames,
  readYaml,
  rel,
  repoPath,
  variableQueryExpr,
} from './ops-support.js';

interface DatasourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  expr?: string;
  datasource?: DatasourceRef;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { links?: { url: string }[] } };
}
interface Variable {
  name: string;
  type: string;
  datasource?: DatasourceRef;
  query?: string | { query?: string };
  definition?: string;
}
interface Annotation {
  name: string;
  builtIn?: number;
  datasource?: DatasourceRef;
  expr?: string;
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating?: { list: Variable[] };
  annotations?: { list: Annotation[] };
  links?: { type: string; title: string; url?: string }[];
}

/** Panels without queries of their own. */
const LAYOUT_PANELS = new Set(['row', 'text', 'dashlist', 'news']);
/** Grafana's own annotation source. */
const GRAFANA_BUILTIN_DATASOURCE = '-- Grafana --';

const dashboardFiles = listFiles(repoPath('grafana', 'dashboards'), /\.json$/);
const dashboards = dashboardFiles.map((file) => ({ file, name: basename(file), json: JSON.parse(readFileSync(file, 'utf8')) as Dashboard }));

function provisionedDatasourceUids(): Set<string> {
  const uids = new Set<string>();
  for (const f of listFiles(repoPath('grafana', 'provisioning', 'datasources'), /\.ya?ml$/)) {
    for (const d of (readYaml(f) as { datasources?: { uid?: string }[] }).datasources ?? []) if (d.uid) uids.add(d.uid);
  }
  return uids;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

function variableQuery(v: Variable): string | undefined {
  return typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition);
}

/** Every query text of a dashboard, with where it comes from. */
function queries(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  for (const p of allPanels(d.panels)) for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr });
  for (const v of d.templating?.list ?? []) {
    const q = v.type === 'query' ? variableQuery(v) : undefined;
    const expr = q ? variableQueryExpr(q) : undefined;
    if (expr) out.push({ where: `variable ${v.name}`, expr });
  }
  for (const a of d.annotations?.list ?? []) if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  return out;
}

describe('Grafana provisioning and dashboards (grafana/)', () => {
  it('provisions the Prometheus datasource with uid prometheus and a provider for the dashboards', () => {
    const ds = readYaml(repoPath('grafana', 'provisioning', 'datasources', 'edgewatch.yml')) as { apiVersion: number; datasources: { uid: string; type: string; url: string }[] };
    assert.equal(ds.apiVersion, 1);
    assert.deepEqual(
      ds.datasources.map((d) => [d.uid, d.type, d.url]),
      [['prometheus', 'prometheus', 'http://prometheus:9090']],
    );
    const prov = readYaml(repoPath('grafana', 'provisioning', 'dashboards', 'edgewatch.yml')) as { providers: { type: string; options: { path: string } }[] };
    assert.equal(prov.providers.length, 1);
    assert.equal(prov.providers[0]!.type, 'file');
    const compose = readFileSync(repoPath('docker-compose.yml'), 'utf8');
    assert.ok(compose.includes(`./grafana/dashboards:${prov.providers[0]!.options.path}`), 'docker-compose.yml mounts grafana/dashboards where the provider looks');
  });

  it('has the three dashboards with stable uids and schemaVersion >= 38', () => {
    assert.deepEqual(dashboards.map((d) => d.json.uid).sort(), ['edgewatch-fleet', 'edgewatch-remediation', 'edgewatch-task']);
    for (const { name, json } of dashboards) {
      assert.ok(json.schemaVersion >= 38, `${name}: schemaVersion ${json.schemaVersion}`);
      assert.ok(json.title, `${name}: title`);
    }
  });

  for (const { file, name, json } of dashboards) {
    describe(rel(file), () => {
      it('gives every query panel, target, variable and annotation a provisioned datasource uid', () => {
        const uids = provisionedDatasourceUids();
        const check = (where: string, ref: DatasourceRef | undefined) => {
          assert.ok(ref?.uid, `${name}: ${where} has a datasource uid`);
          assert.ok(uids.has(ref.uid), `${name}: ${where} uses datasource uid "${ref.uid}", provisioned: ${[...uids].join(', ')}`);
        };
        for (const p of allPanels(json.panels)) {
          if (LAYOUT_PANELS.has(p.type)) continue;
          check(`panel "${p.title}"`, p.datasource);
          assert.ok((p.targets ?? []).length > 0, `${name}: panel "${p.title}" has queries`);
          for (const t of p.targets ?? []) check(`panel "${p.title}" target ${t.refId}`, t.datasource ?? p.datasource);
        }
        for (const v of json.templating?.list ?? []) if (v.type === 'query') check(`variable ${v.name}`, v.datasource);
        for (const a of json.annotations?.list ?? []) {
          if (a.builtIn === 1 && a.datasource?.uid === GRAFANA_BUILTIN_DATASOURCE) continue;
          check(`annotation "${a.name}"`, a.datasource);
        }
      });

      it('defines every variable its queries and links use', () => {
        const defined = new Set((json.templating?.list ?? []).map((v) => v.name));
        const texts = queries(json).map((q) => ({ where: q.where, text: q.expr }));
        for (const p of allPanels(json.panels)) for (const l of p.fieldConfig?.defaults?.links ?? []) texts.push({ where: `link of "${p.title}"`, text: l.url });
        for (const l of json.links ?? []) if (l.url) texts.push({ where: `dashboard link "${l.title}"`, text: l.url });
        for (const { where, text } of texts) {
          for (const v of grafanaVariables(text)) assert.ok(defined.has(v), `${name}: ${where} uses undefined variable $${v}`);
        }
      });

      it('queries only known exporter, collector and recorded metric names', () => {
        const known = knownMetricNames();
        const qs = queries(json);
        assert.ok(qs.length > 0);
        for (const { where, expr } of qs) {
          const names = promqlMetricNames(expr);
          assert.ok(names.length > 0, `${name}: ${where} selects a metric: ${expr}`);
          for (const n of names) assert.ok(isKnownMetric(n, known), `${name}: ${where} uses unknown metric ${n}: ${expr}`);
        }
      });

      it('has unique panel ids and panels inside the 24-column grid', () => {
        const panels = allPanels(json.panels);
        const ids = panels.map((p) => p.id);
        assert.equal(new Set(ids).size, ids.length, `${name}: panel ids are unique`);
        for (const p of panels) {
          assert.ok(p.gridPos, `${name}: panel "${p.title}" has a gridPos`);
          assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${name}: panel "${p.title}" fits in 24 columns`);
        }
      });
    });
  }

  it('uses the metrics the brief names for each dashboard', () => {
    const text = (uid: string) => queries(dashboards.find((d) => d.json.uid === uid)!.json).map((q) => q.expr).join('\n');
    const fleet = text('edgewatch-fleet');
    for (const m of ['up{job="edgewatch-exporter"', 'edgewatch_task_state', 'edgewatch_task_requests_5xx', 'edgewatch_task_request_duration_seconds:p99']) assert.ok(fleet.includes(m), `fleet overview uses ${m}`);
    const taskVars = dashboards.find((d) => d.json.uid === 'edgewatch-task')!.json.templating!.list.map((v) => [v.name, variableQuery(v)]);
    assert.deepEqual(taskVars, [
      ['node', 'label_values(edgewatch_task_up, node)'],
      ['task', 'label_values(edgewatch_task_up{node="$node"}, task)'],
      ['console', 'http://localhost:8080'],
    ]);
    const consoleLinks = (uid: string) => (dashboards.find((d) => d.json.uid === uid)!.json.links ?? []).filter((l) => l.type === 'link').map((l) => l.url);
    assert.deepEqual(consoleLinks('edgewatch-task'), ['${console}/nodes/${node}/tasks/${task}', '${console}/incidents'], 'the task dashboard links the console');
    assert.deepEqual(consoleLinks('edgewatch-remediation'), ['${console}/incidents']);
    assert.deepEqual(consoleLinks('edgewatch-fleet'), ['${console}/nodes']);
    const task = text('edgewatch-task');
    for (const m of ['edgewatch_task_requests_total', 'edgewatch_task_request_duration_seconds', 'edgewatch_task_restarts_total', 'edgewatch_task_memory_bytes', 'edgewatch_task_cpu_seconds_total', 'edgewatch_task_version_info']) {
      assert.ok(task.includes(m), `task detail uses ${m}`);
    }
    const remediation = text('edgewatch-remediation');
    for (const m of ['edgewatch_collector_remediation_actions_total', 'edgewatch_collector_incidents', 'edgewatch_collector_breaker_open']) assert.ok(remediation.includes(m), `remediation uses ${m}`);
  });
});
