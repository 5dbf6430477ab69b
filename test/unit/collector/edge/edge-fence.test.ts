import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleTransition } from '../../../../common/rules/signals.js';
import { EdgeFence } from '../../../../collector/edge/edge-fence.js';

const t = (status: 'firing' | 'resolved', at: number, rule = 'consecutive-5xx'): RuleTransition => ({
  rule,
  key: `${rule}{node="n1",task="web"}`,
  status,
  at,
  labels: { node: 'n1', task: 'web' },
  annotations: {},
  severity: 'critical',
  action: 'restart',
  ladder: ['restart', 'rollback', 'migrate', 'page'],
});

function fence(runs: boolean | undefined = true) {
  const forgotten: string[] = [];
  const scopes: Record<string, 'cloud' | 'edge' | 'both'> = { 'consecutive-5xx': 'both', 'latency': 'cloud' };
  const f = new EdgeFence(3000, (r) => scopes[r], () => runs, (rule) => void forgotten.push(rule));
  return { f, forgotten };
}

describe('the edge claim fence: one actor per fault', () => {
  it('holds a firing of a rule scoped both for the grace, then lets it through when no claim came', () => {
    const { f } = fence();
    assert.deepEqual(f.filter([t('firing', 1000)], 1000), [], 'held');
    assert.deepEqual(f.filter([], 3999), [], 'still held');
    assert.deepEqual(f.filter([], 4000).map((x) => x.status), ['firing'], 'released after the grace');
  });

  it('drops a held firing the node claims meanwhile, and forgets the key so only fresh evidence fires it', () => {
    const { f, forgotten } = fence();
    assert.deepEqual(f.filter([t('firing', 1000)], 1000), []);
    f.claim({ node: 'n1', task: 'web', rule: 'consecutive-5xx', incidentId: 'e1', commandIds: ['edge-1'], startedAt: 995, edgeStartedAt: 1000, resolvedAt: 3500, edgeResolvedAt: 3505 });
    assert.deepEqual(f.filter([], 4000), []);
    assert.deepEqual(forgotten, ['consecutive-5xx']);
    assert.equal(f.fenced, 1);
    // a firing that arrives after the claim (the backlog drained late) is fenced at once
    assert.deepEqual(f.filter([t('firing', 1200)], 9000), []);
    assert.equal(f.fenced, 2);
    // a fault long after the claim's incident resolved is a new one
    assert.deepEqual(f.filter([t('firing', 60_000)], 60_000), []);
    assert.deepEqual(f.filter([], 63_000).length, 1);
  });

  it('a resolution of a held firing takes the firing with it; other rules and scopes pass untouched', () => {
    const { f } = fence();
    assert.deepEqual(f.filter([t('firing', 1000), t('resolved', 1500)], 1500), []);
    assert.deepEqual(f.filter([], 5000), []);
    const cloud = t('firing', 1000, 'latency');
    assert.deepEqual(f.filter([cloud], 1000), [cloud]);
  });

  it('does not hold for a node known to run no edge rules', () => {
    const { f } = fence(false);
    assert.equal(f.filter([t('firing', 1000)], 1000).length, 1);
  });
});
