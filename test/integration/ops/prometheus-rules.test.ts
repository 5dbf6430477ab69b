import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { requireBinary } from '../../support/components.js';
import {
  alertRules,
  isKnownMetric,
  knownMetricNames,
  markdownAnchors,
  promqlMetricNames,
  readYaml,
  rel,
  repoPath,
  ruleFiles,
  ruleTestFiles,
  run,
} from './ops-support.js';

interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string> }[];
}
interface RuleTestFile {
  rule_files: string[];
  tests: { alert_rule_test?: AlertCase[] }[];
}

const RUNBOOK = /^https:\/\/github\.com\/edgewatch\/edgewatch\/blob\/main\/docs\/([a-z0-9-]+)\.md#([a-z0-9-]+)$/;

describe('Prometheus rules (alerts/prometheus)', () => {
  const promtool = requireBinary('promtool');

  it('promtool check rules accepts every rule file', promtool, () => {
    const files = ruleFiles();
    assert.ok(files.length >= 2, 'rule files found');
    const r = run('promtool', ['check', 'rules', ...files]);
    assert.equal(r.status, 0, r.message);
  });

  it('promtool test rules passes every unit test file', promtool, () => {
    const files = ruleTestFiles();
    assert.ok(files.length >= 1, 'rule test files found');
    const r = run('promtool', ['test', 'rules', ...files]);
    assert.equal(r.status, 0, r.message);
    assert.doesNotMatch(r.stdout + r.stderr, /FAILED/, r.message);
  });

  it('promtool check config accepts prometheus.yml and finds the rule files through it', promtool, () => {
    const r = run('promtool', ['check', 'config', repoPath('alerts', 'prometheus', 'prometheus.yml')]);
    assert.equal(r.status, 0, r.message);
    assert.match(r.stdout, new RegExp(`SUCCESS: ${ruleFiles().length} rule files found`), r.message);
  });

  it('every alert has a severity, summary, description and a runbook_url whose docs page and anchor exist', () => {
    const anchorsOf = new Map<string, Set<string>>();
    const anchors = (page: string) => {
      let a = anchorsOf.get(page);
      if (!a) {
        const file = repoPath('docs', `${page}.md`);
        assert.ok(existsSync(file), `docs/${page}.md exists`);
        a = markdownAnchors(readFileSync(file, 'utf8'));
        anchorsOf.set(page, a);
      }
      return a;
    };
    const alerts = alertRules();
    assert.ok(alerts.length >= 6);
    for (const a of alerts) {
      assert.ok(['critical', 'warning'].includes(a.labels?.severity ?? ''), `${a.alert}: severity critical or warning`);
      for (const key of ['summary', 'description', 'runbook_url']) assert.ok(a.annotations?.[key], `${a.alert}: annotation ${key}`);
      const m = RUNBOOK.exec(a.annotations!.runbook_url!);
      assert.ok(m, `${a.alert}: runbook_url ${a.annotations!.runbook_url} points into a docs/ page`);
      const [, page, anchor] = m;
      assert.equal(anchor, a.alert!.toLowerCase(), `${a.alert}: runbook anchor is the alert name`);
      assert.ok(anchors(page!).has(anchor!), `${a.alert}: docs/${page}.md has a heading for #${anchor}`);
    }
  });

  it('every rule expression only uses known exporter, collector or recorded metric names', () => {
    const known = knownMetricNames();
    for (const file of ruleFiles()) {
      for (const g of (readYaml(file) as { groups: { rules: { expr: string; alert?: string; record?: string }[] }[] }).groups) {
        for (const r of g.rules) {
          const names = promqlMetricNames(r.expr);
          assert.ok(names.length > 0, `${r.alert ?? r.record}: expression selects a metric`);
          for (const n of names) assert.ok(isKnownMetric(n, known), `${rel(file)}: ${r.alert ?? r.record} uses unknown metric ${n}`);
        }
      }
    }
  });

  it('every alert has a firing and a not-firing unit test, with the node/task labels it applies to', () => {
    const cases: AlertCase[] = ruleTestFiles().flatMap((f) => (readYaml(f) as RuleTestFile).tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const a of alertRules()) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      const firing = mine.filter((c) => (c.exp_alerts ?? []).length > 0);
      assert.ok(firing.length > 0, `${a.alert}: a test where it fires`);
      assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert}: a test where it does not fire`);
      const labels = firing.flatMap((c) => c.exp_alerts!.map((e) => e.exp_labels ?? {}));
      if (a.alert!.startsWith('EdgewatchTask')) {
        for (const l of labels) assert.ok(l.node && l.task, `${a.alert}: fires with node and task labels`);
      }
      if (/Node|Spool|LogRecords|ControlChannel/.test(a.alert!)) {
        for (const l of labels) assert.ok(l.node, `${a.alert}: fires with a node label`);
      }
    }
  });
});

describe('PromQL metric-name extraction used by these checks', () => {
  it('finds selected metrics and skips functions, aggregations, label lists and keywords', () => {
    assert.deepEqual(
      promqlMetricNames('sum by (node, task) (rate(edgewatch_task_requests_total{code_class="5xx", task=~"a|b"}[5m])) / on (node) group_left (x) up offset 5m > bool 0'),
      ['edgewatch_task_requests_total', 'up'],
    );
    assert.deepEqual(promqlMetricNames('topk(10, sum(increase(foo_total{node=~"$node"}[$__rate_interval])) > 0) or vector(0)'), ['foo_total']);
    assert.deepEqual(promqlMetricNames('max(x) without (instance) unless y'), ['x', 'y']);
  });
});
