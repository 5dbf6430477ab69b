import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../common/errors.js';
import { join } from 'node:path';
import { loadRules, loadRulesFile } from '../../../common/rules/rule-file.js';
import { repoRoot } from '../../support/paths.js';
import { edgeRulesOf } from '../../../collector/edge/edge-rule-sets.js';

const FILE = `rules:
  - name: streak
    kind: consecutive
    match: {status: ">=500"}
    count: 6
    action: restart
  - name: streak-edge
    kind: consecutive
    match: {status: ">=500"}
    count: 3
    action: restart
    scope: edge
  - name: loops
    kind: crashloop
    action: rollback
    scope: both
`;

describe('rule scope (cloud | edge | both)', () => {
  it('defaults to cloud, and the edge rule set is the rules scoped edge or both, as written', () => {
    const rules = loadRules(FILE);
    assert.deepEqual(rules.map((r) => [r.name, r.scope]), [['streak', 'cloud'], ['streak-edge', 'edge'], ['loops', 'both']]);
    assert.deepEqual(edgeRulesOf(FILE).map((r) => r.name), ['streak-edge', 'loops']);
    assert.equal(edgeRulesOf(FILE)[0]!.count, 3);
  });

  it('the example edge rule file loads, every rule scoped edge', () => {
    const rules = loadRulesFile(join(repoRoot, 'examples', 'edge-rules.yml'));
    assert.ok(rules.length >= 2);
    assert.ok(rules.every((r) => r.scope === 'edge'));
  });

  it('refuses an unknown scope and edge scopes on what only the collector sees', () => {
    const issues = (text: string) => {
      try {
        loadRules(text);
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.issues.join('\n');
      }
      assert.fail('accepted');
    };
    assert.match(issues('rules:\n  - {name: a, kind: crashloop, scope: fog}\n'), /rules\[0\] \(a\)\.scope: .*"cloud"/);
    assert.match(issues('rules:\n  - {name: hb, kind: absence, lease: 30s, scope: edge}\n'), /rules\[0\] \(hb\)\.scope: a heartbeat rule sees only what reaches the collector/);
    assert.match(issues('rules:\n  - {name: am, kind: alert, match: {alertname: X}, scope: both}\n'), /rules\[0\] \(am\)\.scope: a Prometheus alert rule/);
  });
});
