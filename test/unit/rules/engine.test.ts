import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RuleEngine } from '../../../common/rules/rule-engine.js';
import { loadRules } from '../../../common/rules/rule-file.js';
import { heartbeat, req, restart, T0, Timeline } from './timeline.js';

const STREAK = (extra = '') => `
rules:
  - name: streak
    kind: consecutive
    match: {status: ">=500"}
    count: 2${extra}
`;

describe('rule engine', () => {
  it('routes each signal kind only to the rules that read it, and answers "nothing" without allocating', () => {
    const engine = new RuleEngine(loadRules(STREAK()));
    const a = engine.observe({ ...heartbeat(), at: T0 });
    const b = engine.observe({ ...req(200), at: T0 });
    const c = engine.observe({ ...restart(), at: T0 });
    assert.equal(a, b, 'the same shared empty answer');
    assert.equal(b, c);
    assert.ok(Object.isFrozen(a));
    assert.equal(engine.stats().rules[0]?.keys, 0, 'a 200 with no streak to reset holds no state');
  });

  it('bounds the keys per rule: the least recently used inactive key goes first, and is counted', () => {
    const t = new Timeline(STREAK('\n    maxKeys: 3'));
    t.at(0, req(500, { task: 'a' }), req(500, { task: 'b' }), req(500, { task: 'c' }));
    t.at(1, req(500, { task: 'd' }));
    t.at(2, req(500, { task: 'a' }));
    assert.deepEqual(t.take(), [], 'task a lost its first 5xx when it was evicted');
    assert.deepEqual(t.engine.stats().rules[0], { rule: 'streak', kind: 'consecutive', keys: 3, firing: 0, evicted: 2, expired: 0 });
  });

  it('passes over firing keys when it can, and resolves a firing key it has to evict', () => {
    const t = new Timeline(STREAK('\n    maxKeys: 2'));
    t.at(0, req(500, { task: 'a' }), req(500, { task: 'a' }));
    assert.deepEqual(t.take(), ['0s firing streak node=edge-1 task=a']);
    t.at(1, req(500, { task: 'b' }), req(500, { task: 'c' }), req(500, { task: 'd' }));
    assert.deepEqual(t.take(), [], 'b and c were evicted before the firing a');
    assert.equal(t.engine.active().length, 1);
    const u = new Timeline(STREAK('\n    maxKeys: 1'));
    u.at(0, req(500, { task: 'a' }), req(500, { task: 'a' })).at(1, req(500, { task: 'b' }));
    const [, evicted] = u.takeRaw();
    assert.equal(evicted?.status, 'resolved');
    assert.equal(evicted?.resolvedBy, 'evicted');
  });

  it('forgets idle keys on tick; a firing one resolves as stale, like a Prometheus series going away', () => {
    const t = new Timeline(STREAK('\n    idle: 10m'));
    t.at(0, req(500, { task: 'a' }), req(500, { task: 'a' }), req(500, { task: 'b' })).ticks(60, 540, 60);
    assert.deepEqual(t.take(), ['0s firing streak node=edge-1 task=a']);
    assert.equal(t.engine.stats().rules[0]?.keys, 2);
    t.tick(600);
    const [stale] = t.takeRaw();
    assert.equal(stale?.status, 'resolved');
    assert.equal(stale?.resolvedBy, 'stale');
    assert.deepEqual(t.engine.stats().rules[0], { rule: 'streak', kind: 'consecutive', keys: 0, firing: 0, evicted: 0, expired: 2 });
  });

  it('drops signals older than the last tick by more than maxLateMs (a drained backlog), and counts them', () => {
    const t = new Timeline(STREAK(), { maxLateMs: 60_000 }).tick(3600);
    t.at(3500, req(500), req(500));
    assert.deepEqual(t.take(), []);
    assert.equal(t.engine.stats().late, 2);
    t.at(3560, req(500), req(500));
    assert.deepEqual(t.take(), ['3560s firing streak node=edge-1 task=api'], 'within a minute is on time');
  });

  it('skips signals that carry none of the by: labels, and keys by service when asked', () => {
    const t = new Timeline(STREAK());
    t.at(0, req(500, { node: undefined, task: undefined, service: 'checkout' }), req(500, { node: undefined, task: undefined, service: 'checkout' }));
    assert.deepEqual(t.take(), []);
    const u = new Timeline(STREAK('\n    by: [service]'));
    u.at(0, req(500, { service: 'checkout' }), req(500, { service: 'checkout', node: 'edge-2' }));
    assert.deepEqual(u.take(), ['0s firing streak service=checkout']);
  });

  it('active() lists what is firing now, as of when it fired; severity, static labels and templates apply', () => {
    const t = new Timeline(STREAK(`
    severity: page-me
    action: rollback
    ladder: [rollback, page]
    labels: {team: edge, node: ignored}
    annotations: {summary: "{{rule}} {{labels.team}} {{node}}/{{task}} x{{value}}{{labels.missing}}"}`));
    t.at(5, req(500), req(500)).at(6, req(500));
    const [a] = t.engine.active();
    assert.deepEqual(
      { at: a?.at, severity: a?.severity, labels: a?.labels, ladder: a?.ladder, annotations: a?.annotations },
      {
        at: T0 + 5000,
        severity: 'page-me',
        labels: { team: 'edge', node: 'edge-1', task: 'api' },
        ladder: ['rollback', 'page'],
        annotations: { summary: 'streak edge edge-1/api x3' }, // the value now: the streak grew after it fired
      },
    );
  });

  it('runs several rules on one event, each with its own state', () => {
    const engine = new RuleEngine(loadRules(`
rules:
  - {name: two, kind: consecutive, match: {status: ">=500"}, count: 2}
  - {name: three, kind: consecutive, match: {status: ">=500"}, count: 3}
  - {name: fives, kind: count, match: {status: 503}, count: 2, window: 1m, by: [node]}
`));
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) for (const t of engine.observe({ ...req(503), at: T0 + i })) seen.push(`${i} ${t.rule}`);
    assert.deepEqual(seen, ['1 two', '1 fives', '2 three']);
  });
});

describe('rule keys', () => {
  it('are the same for the same labels however the signal arrives, and differ per label value', async () => {
    const { Keyer } = await import('../../../common/rules/keyer.js');
    const keyer = new Keyer(['node', 'task']);
    const a = keyer.key({ ...req(200), at: T0 });
    keyer.forget();
    const b = keyer.key({ kind: 'restart', node: 'edge-1', task: 'api', reason: 'Error', at: T0 });
    keyer.forget();
    const c = keyer.key({ ...req(200, { task: 'db' }), at: T0 });
    keyer.forget();
    const d = keyer.key({ kind: 'value', value: 1, labels: { node: 'edge-1', task: 'api' }, at: T0 });
    assert.equal(a, b);
    assert.equal(a, d);
    assert.notEqual(a, c);
    for (let i = 0; i < 100_001; i++) {
      keyer.forget();
      keyer.key({ ...req(200, { task: `t${i}` }), at: T0 });
    }
    keyer.forget();
    assert.equal(keyer.key({ ...req(200), at: T0 }), a, 'the same key after the intern cache started over');
  });
});
