import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heartbeat, line, Timeline } from './timeline.js';

const OFFLINE = `
rules:
  - name: node-offline
    kind: absence
    lease: 30s
    action: migrate
    annotations: {summary: "{{node}} silent for {{value}} s"}
`;

describe('absence rules', () => {
  it('fires on tick once a node has sent no heartbeat for the lease, and resolves when one arrives', () => {
    const t = new Timeline(OFFLINE);
    t.every(0, 60, 10, heartbeat());
    t.ticks(61, 89);
    assert.deepEqual(t.take(), []);
    t.tick(90);
    const [fired] = t.takeRaw();
    assert.deepEqual(
      { status: fired?.status, labels: fired?.labels, action: fired?.action, ladder: fired?.ladder, value: fired?.value, annotations: fired?.annotations },
      { status: 'firing', labels: { node: 'edge-1' }, action: 'migrate', ladder: ['migrate', 'page'], value: 30, annotations: { summary: 'edge-1 silent for 30 s' } },
    );
    t.ticks(91, 3600 * 3, 60);
    assert.deepEqual(t.take(), [], 'a silent node stays firing however long: silence is the symptom, not staleness');
    t.at(3600 * 3 + 5, heartbeat());
    const [resolved] = t.takeRaw();
    assert.equal(resolved?.status, 'resolved');
    assert.equal(resolved?.resolvedBy, 'condition');
    assert.equal(resolved?.value, 3600 * 3 + 5 - 60, 'the resolution says how long it was silent');
  });

  it('only watches nodes it has heard from, each on its own lease', () => {
    const t = new Timeline(OFFLINE).at(0, heartbeat('a')).at(20, heartbeat('b')).ticks(1, 49);
    assert.deepEqual(t.take(), ['30s firing node-offline node=a']);
    t.tick(50);
    assert.deepEqual(t.take(), ['50s firing node-offline node=b']);
  });

  it('for: adds to the lease; a heartbeat while pending cancels it', () => {
    const t = new Timeline(OFFLINE.replace('lease: 30s', 'lease: 30s\n    for: 15s')).at(0, heartbeat()).ticks(1, 40).at(41, heartbeat()).ticks(42, 71);
    assert.deepEqual(t.take(), []);
    t.ticks(72, 86);
    assert.deepEqual(t.take(), ['86s firing node-offline node=edge-1']);
  });

  it('can watch log lines of a task instead of heartbeats', () => {
    const t = new Timeline(`
rules:
  - name: task-quiet
    kind: absence
    signal: log
    lease: 1m
`).at(0, line('tick')).at(0, heartbeat()).ticks(1, 60);
    assert.deepEqual(t.take(), ['60s firing task-quiet node=edge-1 task=api']);
  });
});
