import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { line, restart, Timeline } from './timeline.js';

const BURST = `
rules:
  - name: error-burst
    kind: count
    match: {level: [error, fatal]}
    count: 3
    window: 10s
`;

const CRASHLOOP = `
rules:
  - name: crash-loop
    kind: crashloop
    count: 3
    window: 5m
    action: rollback
`;

const oops = line('boom', { level: 'error' });

describe('count rules', () => {
  it('fires on the Nth matching event within the window, and resolves when the window slides past', () => {
    const t = new Timeline(BURST);
    t.at(0, oops).at(4, oops, line('fine')).tick(5);
    assert.deepEqual(t.take(), []);
    t.at(8, oops);
    assert.deepEqual(t.take(), ['8s firing error-burst node=edge-1 task=api']);
    t.ticks(9, 9.9, 0.1);
    assert.deepEqual(t.take(), [], 'three errors within the last 10 s until the first is 10 s old');
    t.tick(10);
    assert.deepEqual(t.take(), ['10s resolved error-burst node=edge-1 task=api']);
  });

  it('does not fire when the events are spread wider than the window', () => {
    const t = new Timeline(BURST).at(0, oops).at(6, oops).ticks(7, 12).at(12, oops).at(17, oops);
    assert.deepEqual(t.take(), [], 'never three within 10 s');
    t.at(19, oops);
    assert.deepEqual(t.take(), ['19s firing error-burst node=edge-1 task=api']);
    assert.equal(t.engine.active()[0]?.value, 3);
  });

  it('counts per key, and drops a key whose window emptied', () => {
    const t = new Timeline(BURST);
    t.at(0, oops, line('x', { level: 'fatal', task: 'db' })).at(1, oops, line('x', { level: 'fatal', task: 'db' }));
    t.at(2, oops);
    assert.deepEqual(t.take(), ['2s firing error-burst node=edge-1 task=api']);
    assert.equal(t.engine.stats().rules[0]?.keys, 2);
    t.tick(12);
    assert.equal(t.engine.stats().rules[0]?.keys, 0, 'nothing left in either window');
    assert.deepEqual(t.take(), ['12s resolved error-burst node=edge-1 task=api']);
  });
});

describe('crashloop rules', () => {
  it('3 restarts within 5 minutes fire; the episode ends when fewer than 3 are left in the window', () => {
    const t = new Timeline(CRASHLOOP).at(0, restart()).at(100, restart('OOMKilled')).ticks(101, 199, 10);
    assert.deepEqual(t.take(), []);
    t.at(200, restart('Unhealthy'));
    const [fired] = t.takeRaw();
    assert.equal(fired?.status, 'firing');
    assert.equal(fired?.action, 'rollback');
    assert.equal(fired?.value, 3);
    t.ticks(201, 299);
    assert.deepEqual(t.take(), []);
    t.tick(300);
    assert.deepEqual(t.take(), ['300s resolved crash-loop node=edge-1 task=api']);
  });

  it('restarts edgewatch ordered (Command, Updated) do not count, so remediation cannot feed the loop', () => {
    const t = new Timeline(CRASHLOOP).at(0, restart('Command')).at(10, restart('Updated')).at(20, restart('Command')).at(30, restart());
    assert.deepEqual(t.take(), []);
    const u = new Timeline(CRASHLOOP.replace('action: rollback', 'ignoreReasons: []')).at(0, restart('Command')).at(10, restart('Updated')).at(20, restart('Command'));
    assert.deepEqual(u.take(), ['20s firing crash-loop node=edge-1 task=api']);
  });

  it('keeps tasks apart', () => {
    const t = new Timeline(CRASHLOOP).at(0, restart('Error', 'a')).at(1, restart('Error', 'b')).at(2, restart('Error', 'a')).at(3, restart('Error', 'b'));
    assert.deepEqual(t.take(), []);
  });
});
