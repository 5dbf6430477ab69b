import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { line, req, Timeline } from './timeline.js';

const FIVE_XX = `
rules:
  - name: consecutive-5xx
    kind: consecutive
    match: {status: ">=500"}
    count: 6
    action: restart
    annotations: {summary: "{{task}} on {{node}}: {{value}} 5xx in a row"}
`;

describe('consecutive rules', () => {
  it('more than 5 consecutive 5xx fires on the 6th, with the streak, the labels and the ladder', () => {
    const t = new Timeline(FIVE_XX);
    for (let s = 1; s <= 5; s++) t.at(s, req(503));
    assert.deepEqual(t.take(), []);
    t.at(6, req(500, { trace_id: 'f'.repeat(32) }));
    const [fired, ...rest] = t.takeRaw();
    assert.equal(rest.length, 0);
    assert.deepEqual(
      { ...fired, traceIds: undefined },
      {
        rule: 'consecutive-5xx',
        key: 'consecutive-5xx{node="edge-1",task="api"}',
        status: 'firing',
        at: fired!.at,
        labels: { node: 'edge-1', task: 'api' },
        annotations: { summary: 'api on edge-1: 6 5xx in a row' },
        severity: 'warning',
        action: 'restart',
        ladder: ['restart', 'rollback', 'migrate', 'page'],
        value: 6,
        traceIds: undefined,
      },
    );
    assert.deepEqual(fired!.traceIds, ['f'.repeat(32)]);
    t.at(7, req(500));
    assert.deepEqual(t.take(), [], 'a longer streak does not fire again');
  });

  it('a success in between resets the streak; a line without a status does not', () => {
    const t = new Timeline(FIVE_XX);
    for (let s = 1; s <= 5; s++) t.at(s, req(502));
    t.at(5.5, req(200));
    for (let s = 6; s <= 10; s++) t.at(s, req(502));
    assert.deepEqual(t.take(), [], '5 + 5 with a 200 between is not 6 in a row');
    t.at(10.5, line('cache warmed'));
    t.at(11, req(502));
    assert.deepEqual(t.take(), ['11s firing consecutive-5xx node=edge-1 task=api']);
    t.at(12, req(201));
    assert.deepEqual(t.take(), ['12s resolved consecutive-5xx node=edge-1 task=api']);
  });

  it('with reset: any, any other line of the key resets the streak', () => {
    const t = new Timeline(FIVE_XX.replace('count: 6', 'count: 2\n    reset: any'));
    t.at(1, req(500)).at(2, line('retrying')).at(3, req(500));
    assert.deepEqual(t.take(), []);
    t.at(4, req(500));
    assert.deepEqual(t.take(), ['4s firing consecutive-5xx node=edge-1 task=api']);
  });

  it('keeps one streak per node and task', () => {
    const t = new Timeline(FIVE_XX.replace('count: 6', 'count: 3'));
    t.at(1, req(500), req(500, { task: 'db' }), req(500, { node: 'edge-2' }));
    t.at(2, req(500), req(200, { task: 'db' }), req(500, { node: 'edge-2' }));
    t.at(3, req(500), req(500, { task: 'db' }));
    assert.deepEqual(t.take(), ['3s firing consecutive-5xx node=edge-1 task=api']);
    t.at(4, req(500, { node: 'edge-2' }));
    assert.deepEqual(t.take(), ['4s firing consecutive-5xx node=edge-2 task=api']);
  });

  it('carries the trace ids of the newest 5 events of the streak as evidence', () => {
    const t = new Timeline(FIVE_XX.replace('count: 6', 'count: 7'));
    const ids = Array.from({ length: 7 }, (_, i) => String(i).repeat(32));
    ids.forEach((id, i) => t.at(i, req(500, { trace_id: id })));
    assert.deepEqual(t.takeRaw()[0]?.traceIds, ids.slice(2));
  });

  it('for: waits that long with the streak still on, on signals or ticks', () => {
    const t = new Timeline(FIVE_XX.replace('count: 6', 'count: 2\n    for: 10s'));
    t.at(1, req(500)).at(2, req(500)).ticks(3, 11);
    assert.deepEqual(t.take(), []);
    t.tick(12);
    assert.deepEqual(t.take(), ['12s firing consecutive-5xx node=edge-1 task=api']);
    const u = new Timeline(FIVE_XX.replace('count: 6', 'count: 2\n    for: 10s'));
    u.at(1, req(500)).at(2, req(500)).ticks(3, 8).at(9, req(200)).ticks(10, 20);
    assert.deepEqual(u.take(), [], 'a streak broken while pending never fires');
  });

  it('keepFiringFor: holds the alert after a success, and a new streak within it keeps the same episode', () => {
    const t = new Timeline(FIVE_XX.replace('count: 6', 'count: 2\n    keepFiringFor: 30s'));
    t.at(0, req(500)).at(1, req(500)).at(2, req(200)).ticks(3, 20);
    t.at(21, req(500)).at(22, req(500)).at(23, req(200)).ticks(24, 52);
    assert.deepEqual(t.take(), ['1s firing consecutive-5xx node=edge-1 task=api']);
    t.tick(53);
    assert.deepEqual(t.take(), ['53s resolved consecutive-5xx node=edge-1 task=api']);
  });

  it('matches level, msg, attrs and task together', () => {
    const t = new Timeline(`
rules:
  - name: payment-failures
    kind: consecutive
    match: {task: [payments], level: error, msg: "(?i)declined", attrs.provider: acme, attrs.attempt: ">=2"}
    count: 2
`);
    const hit = { task: 'payments', level: 'error' as const, attrs: { provider: 'acme', attempt: 3 } };
    t.at(1, line('Card DECLINED', hit));
    t.at(2, line('card declined', { ...hit, attrs: { provider: 'other', attempt: 3 } }));
    t.at(3, line('card declined', { ...hit, attrs: { provider: 'acme', attempt: 1 } }));
    t.at(4, line('card declined', { ...hit, task: 'api' }));
    t.at(5, line('card declined', hit));
    assert.deepEqual(t.take(), [], 'the near misses at 2s and 3s carry the attrs, so they reset the streak');
    t.at(6, line('timeout', { task: 'payments' }));
    t.at(7, line('card declined', { ...hit, task: 'api' }));
    t.at(8, line('card declined', hit));
    assert.deepEqual(t.take(), ['8s firing payment-failures node=edge-1 task=payments'], 'lines without the attrs, or of another task, do not');
  });
});
