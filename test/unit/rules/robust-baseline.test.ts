import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RuleTransition } from '../../../common/rules/signals.js';
import { T0, Timeline, value } from './timeline.js';

/** A deterministic PRNG (mulberry32) in [-1, 1), so every run replays the same noise. */
function noise(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

const MINUTE = 60;

/** The rule `anomaly` with the default keys plus `extra` (YAML flow keys). */
function rule(extra = ''): string {
  return `rules: [{name: anomaly, kind: robust-baseline, by: [node]${extra ? `, ${extra}` : ''}}]`;
}

/** Replays `series` (one value a minute) through the rule; returns the sample index of every onset. */
function onsets(rules: string, series: number[], stepSec = MINUTE): { at: number[]; fired: RuleTransition[]; t: Timeline } {
  const t = new Timeline(rules);
  series.forEach((v, i) => t.at(i * stepSec, value(v, { node: 'n1' })).tick(i * stepSec));
  const fired = t.takeRaw().filter((x) => x.status === 'firing');
  return { at: fired.map((x) => Math.round((x.at - T0) / 1000 / stepSec)), fired, t };
}

/** `n` samples of `level` plus uniform noise of ±`amp`. */
function flat(n: number, level: number, amp: number, seed = 1): number[] {
  const r = noise(seed);
  return Array.from({ length: n }, () => level + amp * r());
}

describe('robust-baseline rules', () => {
  it('spike up: a burst of high values fires once, at its first sample, with evidence that explains it', () => {
    const s = flat(400, 100, 1);
    for (let i = 250; i < 255; i++) s[i] = 120;
    const { at, fired } = onsets(rule(), s);
    assert.deepEqual(at, [250]);
    assert.match(fired[0]!.annotations.evidence!, /^value 120, expected (99\.\d|100(\.\d)?) ± 0\.\d+, score (1|0\.99\d+)$/);
    assert.equal(fired[0]!.value, 120);
    assert.ok(Number(fired[0]!.annotations.score) >= 0.998);
  });

  it('spike down: a drop fires with direction both (the default) and down, never with up', () => {
    const s = flat(400, 100, 1);
    for (let i = 250; i < 255; i++) s[i] = 80;
    assert.deepEqual(onsets(rule(), s).at, [250]);
    assert.deepEqual(onsets(rule('direction: down'), s).at, [250]);
    assert.deepEqual(onsets(rule('direction: up'), s).at, []);
  });

  it('a level shift fires once, is absorbed (the alert resolves), and a later anomaly on the new level is caught', () => {
    const s = flat(700, 100, 1);
    for (let i = 200; i < 700; i++) s[i]! += 30;
    s[500] = 160;
    const { at, t } = onsets(rule(), s);
    assert.deepEqual(at, [200, 500]);
    // absorbAfter 30: the shift is the new normal after 30 samples in a row, and the alert clears.
    const again = new Timeline(rule());
    s.slice(0, 260).forEach((v, i) => again.at(i * MINUTE, value(v, { node: 'n1' })).tick(i * MINUTE));
    const resolved = again.takeRaw().find((x) => x.status === 'resolved');
    assert.ok(resolved && (resolved.at - T0) / 1000 / MINUTE <= 232, `resolved at sample ${resolved && (resolved.at - T0) / 60_000}`);
    assert.equal(t.engine.active().length, 0);
  });

  it('daily seasonality is learnt with season: 1d (not flagged), and an anomaly at an unusual hour still is', () => {
    const r = noise(7);
    const days = 10;
    const perDay = 24 * 12; // one sample every 5 minutes
    const s = Array.from({ length: days * perDay }, (_, i) => 100 + 40 * Math.sin((2 * Math.PI * i) / perDay) + 2 * r());
    const spike = 8 * perDay + perDay / 4; // day 8, 06:00, the daily peak hour: 140 expected
    s[spike] = 60;
    const seasonal = onsets(rule('season: 1d'), s, 300).at;
    assert.deepEqual(seasonal.filter((i) => i >= 2 * perDay), [spike], `onsets ${seasonal}`);
    // Without a season the same drop is within the day's range (60..140): it passes unseen.
    const plain = onsets(rule(), s, 300).at;
    assert.ok(!plain.includes(spike), `without a season: onsets ${plain}`);
  });

  it('flat start: a series that begins perfectly flat does not flag its ordinary wobble once it starts', () => {
    const r = noise(3);
    // 150 samples of exactly 10, then integer counts 8..12, then one real burst.
    const s = Array.from({ length: 800 }, (_, i) => (i < 150 ? 10 : Math.round(10 + 2 * r())));
    s[600] = 40;
    const { at } = onsets(rule(), s);
    assert.ok(at.filter((i) => i < 600).length <= 1, `onsets ${at}`);
    assert.ok(at.includes(600), `the burst at 600 is caught: ${at}`);
  });

  it('a single-sample spike fires on that sample and resolves right after; the refractory period holds a repeat', () => {
    const s = flat(600, 50, 1);
    // Each spike larger than the last: a spike as large as one already seen is, by then, less rare.
    s[300] = 70;
    s[350] = 80; // within refractory (100 samples) of the first
    s[450] = 95;
    const { at, t } = onsets(rule(), s);
    assert.deepEqual(at, [300, 450]);
    assert.equal(t.engine.active().length, 0);
    assert.deepEqual(onsets(rule('refractory: 0'), s).at, [300, 350, 450]);
  });

  it('judges steps: p99 latency per minute from log events, with the evidence in the unit', () => {
    const t = new Timeline(`rules: [{name: lat, kind: robust-baseline, field: duration_ms, step: 1m, stat: p99, direction: up, warmup: 30}]`);
    const r = noise(5);
    for (let sec = 0; sec < 120 * 60; sec += 2) {
      const slow = sec >= 100 * 60 && sec < 101 * 60;
      t.at(sec, { kind: 'log', node: 'edge-1', task: 'api', level: 'info', msg: 'GET', status: 200, duration_ms: slow ? 400 + 10 * r() : 95 + 5 * r() }).tick(sec);
    }
    const fired = t.takeRaw().filter((x) => x.status === 'firing');
    assert.equal(fired.length, 1);
    assert.equal((fired[0]!.at - T0) / 60_000, 101, 'judged when the minute closes');
    assert.match(fired[0]!.annotations.evidence!, /^p99 latency 4\d\d ms, expected 9\d(\.\d+)? ± [\d.]+ ms, score (1|0\.99\d+)$/);
  });

  it('a request rate that stops altogether is a collapse: empty minutes are judged as a rate of 0 on ticks', () => {
    const t = new Timeline(`rules: [{name: rate, kind: robust-baseline, step: 1m, stat: rate, direction: down, warmup: 30}]`);
    const r = noise(9);
    let sec = 0;
    for (; sec < 90 * 60; sec += 1) if (r() > -0.5) t.at(sec, { kind: 'log', node: 'edge-1', task: 'api', level: 'info', msg: 'GET', status: 200 }).tick(sec);
    t.ticks(sec, sec + 5 * 60, 10);
    const [fired] = t.takeRaw();
    assert.equal(fired?.status, 'firing');
    assert.ok((fired.at - T0) / 60_000 <= 92, `fired at minute ${(fired.at - T0) / 60_000}`);
    assert.match(fired.annotations.evidence!, /^rate 0\/s, expected 0\.7\d*\/s ± /);
  });

  it('reads a heartbeat\'s memory share, keyed by node', () => {
    const t = new Timeline(`rules: [{name: mem, kind: robust-baseline, signal: heartbeat, field: memory_ratio, warmup: 20, direction: up}]`);
    const r = noise(11);
    for (let i = 0; i < 120; i++) {
      const used = i === 100 ? 0.9 : 0.4 + 0.01 * r();
      t.at(i * 10, { kind: 'heartbeat', node: 'edge-1', load: { cpu: 0.1, memoryBytes: used * 2 ** 30, memoryTotalBytes: 2 ** 30 } }).tick(i * 10);
    }
    const [fired] = t.takeRaw();
    assert.equal(fired?.key, 'mem{node="edge-1"}');
    assert.match(fired!.annotations.evidence!, /^memory 90%, expected 40(\.\d+)?% ± /);
  });
});
