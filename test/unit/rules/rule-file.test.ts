import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../common/errors.js';
import { parseDuration } from '../../../common/rules/durations.js';
import { loadRules, loadRulesFile } from '../../../common/rules/rule-file.js';
import type { RuleOf } from '../../../common/rules/rule-schema.js';
import { fixture, repoRoot } from '../../support/paths.js';

function issuesOf(file: string): string[] {
  try {
    loadRulesFile(fixture(`rules/${file}`));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail(`${file} was accepted`);
}

describe('rule file', () => {
  it('accepts every key of every kind', () => {
    const rules = loadRulesFile(fixture('rules/good.yaml'));
    assert.deepEqual(
      rules.map((r) => `${r.name}:${r.kind}`),
      ['api-5xx-streak:consecutive', 'queue-latency:baseline', 'errors:count', 'quiet-task:absence', 'loops:crashloop', 'panics:pattern', 'prometheus:alert'],
    );
    const streak = rules[0] as RuleOf<'consecutive'>;
    assert.equal(streak.for, 10_000);
    assert.equal(streak.keepFiringFor, 60_000);
    assert.equal(streak.idle, 30 * 60_000);
    assert.deepEqual(streak.ladder, ['restart', 'page']);
    assert.equal(streak.match.status?.test(503), true);
    assert.equal(streak.match.status?.test(404), false);
    assert.deepEqual(streak.match.node, ['edge-1', 'edge-2']);
    assert.equal(streak.match.msg?.flags, 'i');
    const latency = rules[1] as RuleOf<'baseline'>;
    assert.deepEqual([latency.method, latency.field, latency.warmup.duration, latency.by], ['zscore', 'attrs.queue_ms', 3_600_000, ['service']]);
    assert.equal(latency.match?.status?.test(204), true);
    assert.deepEqual((rules[3] as RuleOf<'absence'>).ladder, ['page']);
    assert.deepEqual((rules[4] as RuleOf<'crashloop'>).ladder, ['migrate', 'page']);
    assert.deepEqual((rules[5] as RuleOf<'pattern'>).ladder, [], 'no action, no ladder');
  });

  it('fills in the documented defaults', () => {
    const [streak, beat, mirror] = loadRules(`
rules:
  - {name: a, kind: consecutive, match: {status: 500}, count: 2}
  - {name: b, kind: absence, lease: 30s}
  - {name: c, kind: alert, match: {alertname: X}}
`);
    assert.deepEqual(
      { by: streak!.by, for: streak!.for, keep: streak!.keepFiringFor, severity: streak!.severity, action: streak!.action, ladder: streak!.ladder, maxKeys: streak!.maxKeys, idle: streak!.idle },
      { by: ['node', 'task'], for: 0, keep: 0, severity: 'warning', action: 'none', ladder: [], maxKeys: 10_000, idle: 3_600_000 },
    );
    assert.deepEqual(beat!.by, ['node'], 'a heartbeat has only a node');
    assert.deepEqual([mirror!.by, mirror!.severity], [[], undefined], 'an alert is its own key and keeps its own severity');
  });

  it('the default rules in alerts/collector-rules.yml load, one per kind the design asks for', () => {
    const rules = loadRulesFile(join(repoRoot, 'alerts', 'collector-rules.yml'));
    assert.deepEqual(
      rules.map((r) => `${r.name} ${r.kind} ${r.action}`),
      [
        'consecutive-5xx consecutive restart',
        'latency-anomaly robust-baseline rollback',
        'error-ratio-anomaly robust-baseline none',
        'request-rate-collapse robust-baseline none',
        'memory-growth robust-baseline none',
        'node-heartbeat-lost absence migrate',
        'crash-loop crashloop rollback',
        'error-log-burst count none',
        'out-of-memory pattern none',
        'prometheus-task-errors alert restart',
        'prometheus-task-latency alert rollback',
        'prometheus-task-crash-looping alert rollback',
        'desired-spec-drift alert page',
      ],
    );
    const [latency, errors, rate, memory] = rules.slice(1, 5) as Array<RuleOf<'robust-baseline'>>;
    assert.deepEqual([latency!.stat, latency!.direction, latency!.season, latency!.minScore], ['p99', 'up', '1d', 0.998], 'p99 latency up, no threshold to choose');
    assert.deepEqual([errors!.stat, rate!.stat, rate!.direction, memory!.signal, memory!.by], ['ratio', 'rate', 'down', 'heartbeat', ['node']]);
    assert.equal((rules[0] as RuleOf<'consecutive'>).count, 6, 'more than 5 in a row');
    assert.equal((rules[5] as RuleOf<'absence'>).lease, 30_000);
  });

  it('robust-baseline: the defaults need no threshold, and cross-key mistakes name the fix', () => {
    const [r] = loadRules('rules: [{name: a, kind: robust-baseline}]') as Array<RuleOf<'robust-baseline'>>;
    assert.deepEqual(
      [r!.direction, r!.season, r!.warmup, r!.baselineSamples, r!.absorbAfter, r!.refractory, r!.minScore, r!.step, r!.by],
      ['both', 'none', 100, 200, 30, 100, 0.998, 0, ['node', 'task']],
    );
    const refused: Array<[string, RegExp]> = [
      ['{stat: p99}', /\.step: stat "p99" summarises a step: set step, e\.g\. "1m"$/],
      ['{step: 1m, stat: value}', /\.stat: with a step, say how a step is summed up: mean, max, p50, p90, p99, rate or ratio$/],
      ['{step: 1m, stat: ratio}', /\.numerator: a ratio needs the events it counts: set numerator, e\.g\. \{status: ">=500"\}$/],
      ['{signal: heartbeat, field: duration_ms}', /\.field: a heartbeat carries memory_bytes, memory_ratio, cpu$/],
      ['{field: latency}', /\.field: must be duration_ms, status or attrs\.NAME/],
      ['{direction: sideways}', /\.direction: /],
      ['{minScore: 1}', /\.minScore: /],
    ];
    for (const [keys, message] of refused) {
      const yaml = `rules: [{name: a, kind: robust-baseline, ${keys.slice(1, -1)}}]`;
      assert.throws(() => loadRules(yaml), (err: unknown) => err instanceof ConfigError && err.issues.some((i) => message.test(i)), `${keys}: ${message}`);
    }
  });

  const cases: Array<[string, RegExp]> = [
    ['bad-unknown-key.yaml', /^rules\[0\] \(latency\): unknown key "treshold"/],
    ['bad-kind.yaml', /^rules\[0\] \(spikes\)\.kind: must be one of "consecutive" \| "baseline" \| "robust-baseline" \| "count" \| "absence" \| "crashloop" \| "pattern" \| "alert"$/],
    ['bad-duration.yaml', /^rules\[0\] \(streak\)\.for: must be a duration like "30s", "5m" or "1h", got "5 minutes"$/],
    ['bad-status-matcher.yaml', /^rules\[0\] \(streak\)\.match\.status: must be a number, a list of numbers, a comparison like ">=500" or a class like "5xx", got "above 500"$/],
    ['bad-regex.yaml', /^rules\[0\] \(oom\)\.match\.msg: is not a valid regular expression: /],
    ['bad-ladder.yaml', /^rules\[0\] \(streak\)\.ladder: must start with the rule's action "restart", e\.g\. \[restart, page\]$/],
    ['bad-duplicate-name.yaml', /^rules\[1\] \(streak\)\.name: duplicate rule name "streak" \(also rules\[0\]\): names must be unique$/],
    ['bad-ratio-threshold.yaml', /^rules\[0\] \(latency\)\.threshold: a ratio threshold must be > 1 \(4 means the current value is 4 times its baseline: up 300%\)$/],
    ['bad-template.yaml', /^rules\[0\] \(streak\)\.annotations\.summary: unknown placeholder "\{\{ nodename \}\}": use \{\{node\}\}, \{\{task\}\}/],
    ['bad-pattern-for.yaml', /^rules\[0\] \(oom\)\.for: a pattern fires on a matching line, so it is never pending: remove "for"/],
    ['bad-level.yaml', /^rules\[0\] \(errors\)\.match\.level: must be a level or a list of levels \(trace, debug, info, warn, error, fatal\), got "critical"$/],
    ['bad-missing-count.yaml', /^rules\[0\] \(streak\)\.count: is required \(number\)$/],
    ['bad-matcher-key.yaml', /^rules\[0\] \(streak\)\.match\.code: unknown matcher "code" \(use status, duration_ms, level, msg, node, task, service or attrs\.NAME\)$/],
    ['bad-action.yaml', /^rules\[0\] \(streak\)\.action: must be one of "restart" \| "rollback" \| "migrate" \| "page" \| "none"$/],
    ['bad-yaml.yaml', /^YAML syntax \(line \d+\)/],
  ];
  for (const [file, message] of cases) {
    it(`${file} is refused with a message naming the rule, the key and the fix`, () => {
      const issues = issuesOf(file);
      assert.ok(issues.some((i) => message.test(i)), `issues were:\n  ${issues.join('\n  ')}`);
    });
  }

  it('names the file when it cannot be read, and asks for rules: in an empty one', () => {
    assert.throws(() => loadRulesFile('/nonexistent/rules.yml'), /\/nonexistent\/rules\.yml: invalid configuration\n {2}cannot read the file/);
    assert.throws(() => loadRules('', 'empty.yml'), /empty\.yml: invalid configuration\n {2}rules: is required \(array\)/);
  });

  it('parses Prometheus-style durations', () => {
    assert.deepEqual(['30s', '5m', '1h', '1h30m', '500ms', '1.5s', '2d', '0', '0s'].map(parseDuration), [30_000, 300_000, 3_600_000, 5_400_000, 500, 1500, 172_800_000, 0, 0]);
    assert.deepEqual(['5', '5 m', '-1s', '1w', ''].map(parseDuration), [undefined, undefined, undefined, undefined, undefined]);
  });
});
