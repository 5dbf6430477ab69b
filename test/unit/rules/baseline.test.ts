import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { took, Timeline } from './timeline.js';

const LATENCY = `
rules:
  - name: latency
    kind: baseline
    threshold: 4
    baselineSamples: 100
    currentSamples: 10
    warmup: {samples: 20, duration: 1m}
    action: rollback
`;

/** 20 ms requests once a second from 0 s to 119 s: a warm, quiet baseline. */
function warmed(rules = LATENCY): Timeline {
  return new Timeline(rules).every(0, 119, 1, took(20));
}

describe('baseline rules', () => {
  it('latency up 300% (4x the EWMA baseline) fires once the short EWMA gets there, not on the first slow request', () => {
    const t = warmed().every(120, 140, 1, took(100));
    // The short EWMA (span 10) climbs 20 → 34.5 → 46.4 → ... and crosses 80 ms on the 7th slow request.
    assert.equal(t.firedAt('latency'), 126);
    const [fired] = t.takeRaw();
    assert.equal(fired?.action, 'rollback');
    assert.deepEqual(fired?.ladder, ['rollback', 'migrate', 'page']);
    assert.ok(fired!.value! >= 4 && fired!.value! < 4.1, `ratio ${fired?.value}`);
  });

  it('one slow request does not fire, even at 10x', () => {
    const t = warmed().at(120, took(200)).every(121, 200, 1, took(20));
    assert.deepEqual(t.take(), []);
  });

  it('stays silent until warmed up by samples and by time', () => {
    const early = new Timeline(LATENCY).every(0, 40, 1, took(20)).every(41, 59, 1, took(200));
    assert.deepEqual(early.take(), [], '41 samples, but less than a minute of them');
    const sparse = new Timeline(LATENCY).every(0, 300, 20, took(20)).every(301, 340, 1, took(200));
    assert.deepEqual(sparse.take(), [], 'five minutes, but 16 samples');
    const warm = new Timeline(LATENCY).every(0, 60, 1, took(20)).every(61, 80, 1, took(200));
    assert.equal(warm.firedAt('latency'), 63, 'warmed up at 60 s with 61 samples: 10x fires on the 3rd slow request');
  });

  it('does not learn while firing, so a long incident is not taken for the new normal', () => {
    // 300 and 60 ms in turn: the short EWMA goes to about 180 ms (9x), while every 60 ms sample (3x) is
    // within the threshold on its own and would be learned if the rule did not stop learning.
    const t = warmed().every(120, 720, 1, (sec) => took(sec % 2 === 0 ? 300 : 60));
    assert.deepEqual(t.take(), ['122s firing latency node=edge-1 task=api']);
    // Ten minutes of it: a baseline that kept learning the 60s (span 100) would be at 60 ms by now.
    assert.equal(t.engine.active().length, 1);
    t.every(721, 740, 1, took(20));
    const [resolved] = t.take();
    assert.match(resolved!, /^72\ds resolved latency/);
    t.every(741, 760, 1, took(100));
    assert.equal(t.firedAt('latency'), 748, 'the baseline is still 20 ms: the next slowdown fires within 8 requests');
  });

  it('learns a slow drift while not firing', () => {
    // +1 ms every 2 s up to 100 ms: never 4x what the last ~100 samples were.
    const t = warmed().every(120, 400, 1, (sec) => took(Math.min(100, 20 + (sec - 120) / 2)));
    assert.deepEqual(t.take(), []);
  });

  it('z-score: fires on a shift of `threshold` standard deviations of a noisy baseline', () => {
    const Z = LATENCY.replace('threshold: 4', 'method: zscore\n    threshold: 3');
    const noisy = (sec: number) => took(sec % 2 === 0 ? 18 : 22); // mean 20, sd 2
    const t = warmed(Z).every(0, 119, 1, noisy).every(120, 160, 1, took(30));
    // 30 ms is 5 sd above: the short EWMA passes 26 ms (3 sd) on the 5th sample.
    assert.equal(t.firedAt('latency'), 124);
    const wide = (sec: number) => took(sec % 2 === 0 ? 5 : 35); // mean 20, sd 15
    const u = new Timeline(Z).every(0, 119, 1, wide).every(120, 160, 1, took(30));
    assert.deepEqual(u.take(), [], 'the same 30 ms is under 1 sd of a wide baseline');
    const ratio = warmed().every(0, 119, 1, noisy).every(120, 160, 1, took(30));
    assert.deepEqual(ratio.take(), [], 'and only 1.5x: a ratio rule would not fire');
  });

  it('minValue ignores ratios of tiny numbers', () => {
    const rules = LATENCY.replace('threshold: 4', 'threshold: 4\n    minValue: 50');
    const t = new Timeline(rules).every(0, 119, 1, took(2)).every(120, 160, 1, took(10));
    assert.deepEqual(t.take(), [], '2 ms → 10 ms is 5x, but under 50 ms');
    const u = new Timeline(rules).every(0, 119, 1, took(20)).every(120, 160, 1, took(100));
    assert.equal(u.firedAt('latency'), 126);
  });

  it('for: a burst shorter than it passes', () => {
    const rules = LATENCY.replace('action: rollback', 'action: rollback\n    for: 30s');
    const t = warmed(rules).every(120, 135, 1, took(100)).every(136, 200, 1, took(20));
    assert.deepEqual(t.take(), []);
    const u = warmed(rules).every(120, 170, 1, took(100));
    assert.equal(u.firedAt('latency'), 156, 'condition from 126 s, firing 30 s later');
  });

  it('reads another field, and keeps the slow requests\' trace ids as evidence', () => {
    const rules = LATENCY.replace('kind: baseline', 'kind: baseline\n    field: attrs.queue_depth');
    const depth = (n: number, trace?: string) => took(20, { attrs: { queue_depth: n }, ...(trace ? { trace_id: trace } : {}) });
    const t = new Timeline(rules).every(0, 119, 1, depth(10)).every(120, 140, 1, (sec) => depth(60, String(sec % 10).repeat(32)));
    assert.equal(t.firedAt('latency'), 124);
    assert.deepEqual(t.takeRaw()[0]?.traceIds, [0, 1, 2, 3, 4].map((d) => String(d).repeat(32)));
  });
});
