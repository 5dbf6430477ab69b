import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alert, line, Timeline } from './timeline.js';

const OOM = `
rules:
  - name: out-of-memory
    kind: pattern
    match: {msg: "(?i)out of memory|\\\\boom(killed)?\\\\b"}
    keepFiringFor: 1m
`;

const MIRROR = `
rules:
  - name: prometheus-task-down
    kind: alert
    match: {alertname: [EdgewatchTaskDown, EdgewatchTaskCrashLooping]}
    action: restart
    labels: {source: prometheus}
    annotations: {summary: "mirrored: {{labels.alertname}} for {{task}}"}
`;

describe('pattern rules', () => {
  it('fires on the first matching line and resolves keepFiringFor after the last one', () => {
    const t = new Timeline(OOM);
    t.at(0, line('GC done'), line('zoom level 3')).tick(1);
    assert.deepEqual(t.take(), []);
    t.at(10, line('FATAL ERROR: JavaScript heap out of memory', { trace_id: 'a'.repeat(32) }));
    assert.deepEqual(t.take(), ['10s firing out-of-memory node=edge-1 task=api']);
    t.at(40, line('worker OOMKilled')).ticks(41, 99);
    assert.deepEqual(t.take(), [], 'another match at 40 s moves the end to 100 s');
    t.tick(100);
    const [resolved] = t.takeRaw();
    assert.equal(resolved?.status, 'resolved');
    assert.equal(resolved?.value, 2, 'two matching lines in the episode');
    t.at(200, line('out of memory again'));
    const [again] = t.takeRaw();
    assert.equal(again?.value, 1);
  });

  it('matches on level too', () => {
    const t = new Timeline(`
rules:
  - name: fatal
    kind: pattern
    match: {level: fatal}
`).at(0, line('x', { level: 'error' })).at(1, line('bye', { level: 'fatal' }));
    assert.deepEqual(t.take(), ['1s firing fatal node=edge-1 task=api']);
  });
});

describe('alert rules (Alertmanager mirroring)', () => {
  it('turns matching Alertmanager alerts into transitions with their labels and annotations', () => {
    const labels = { alertname: 'EdgewatchTaskDown', node: 'edge-3', task: 'api', severity: 'critical' };
    const t = new Timeline(MIRROR);
    t.at(0, alert('firing', labels, { description: 'down for 5m' }));
    t.at(0, alert('firing', { ...labels, alertname: 'EdgewatchSpoolNearlyFull' }));
    const [fired, ...rest] = t.takeRaw();
    assert.equal(rest.length, 0, 'only the matching alert');
    assert.deepEqual(fired, {
      rule: 'prometheus-task-down',
      key: 'prometheus-task-down{alertname="EdgewatchTaskDown",node="edge-3",severity="critical",source="prometheus",task="api"}',
      status: 'firing',
      at: fired!.at,
      labels: { source: 'prometheus', ...labels },
      annotations: { description: 'down for 5m', summary: 'mirrored: EdgewatchTaskDown for api' },
      severity: 'critical',
      action: 'restart',
      ladder: ['restart', 'rollback', 'migrate', 'page'],
    });
    t.at(60, alert('firing', labels));
    assert.deepEqual(t.take(), [], 'a repeated notification is the same episode');
    t.at(120, alert('resolved', labels));
    assert.deepEqual(t.take(), ['120s resolved prometheus-task-down source=prometheus alertname=EdgewatchTaskDown node=edge-3 task=api severity=critical']);
  });

  it('ignores a resolution it never saw firing, and keeps alerts apart by fingerprint', () => {
    const t = new Timeline(MIRROR);
    t.at(0, alert('resolved', { alertname: 'EdgewatchTaskDown', node: 'a', task: 'x' }));
    assert.deepEqual(t.take(), []);
    assert.equal(t.engine.stats().rules[0]?.keys, 0);
    t.at(1, alert('firing', { alertname: 'EdgewatchTaskDown', node: 'a', task: 'x' }), alert('firing', { alertname: 'EdgewatchTaskDown', node: 'b', task: 'x' }));
    assert.equal(t.engine.active().length, 2);
  });

  it('with by:, groups alerts by those labels', () => {
    const t = new Timeline(MIRROR.replace('action: restart', 'action: restart\n    by: [node, task]'));
    t.at(0, alert('firing', { alertname: 'EdgewatchTaskDown', node: 'a', task: 'x' }), alert('firing', { alertname: 'EdgewatchTaskCrashLooping', node: 'a', task: 'x' }));
    assert.deepEqual(t.take(), ['0s firing prometheus-task-down source=prometheus node=a task=x']);
    assert.equal(t.engine.active()[0]?.key, 'prometheus-task-down{node="a",task="x"}');
  });
});
