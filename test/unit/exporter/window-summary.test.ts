import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { FakeClock } from '../../../common/clock.js';
import { WindowSummary } from '../../../exporter/metrics/window-summary.js';
import { parseExposition, sampleValue } from '../../support/prom-text.js';

function make(clock: FakeClock) {
  const registry = new Registry();
  const summary = new WindowSummary({ name: 'x_seconds', help: 'x', labelNames: ['task'], percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers: [registry], now: () => clock.now() });
  return { registry, summary };
}

function exact(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(q * (s.length - 1))]!;
}

describe('WindowSummary', () => {
  it('renders quantiles within 1% of the exact ones, with cumulative _sum and _count', async () => {
    const clock = new FakeClock();
    const { registry, summary } = make(clock);
    const values: number[] = [];
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const child = summary.labels({ task: 'api' });
    for (let i = 0; i < 20_000; i++) {
      const v = 0.001 + rand() ** 3 * 2; // skewed: most fast, a long tail
      values.push(v);
      child.observe(v);
    }
    const samples = parseExposition(await registry.metrics());
    for (const q of [0.5, 0.9, 0.99]) {
      const got = sampleValue(samples, 'x_seconds', { task: 'api', quantile: String(q) })!;
      const want = exact(values, q);
      assert.ok(Math.abs(got - want) / want <= 0.011, `q${q}: ${got} vs exact ${want}`);
    }
    assert.equal(sampleValue(samples, 'x_seconds_count', { task: 'api' }), 20_000);
    assert.ok(Math.abs(sampleValue(samples, 'x_seconds_sum', { task: 'api' })! - values.reduce((a, b) => a + b, 0)) < 1e-6);
  });

  it('forgets observations older than the window but keeps counting them in _count', async () => {
    const clock = new FakeClock();
    const { registry, summary } = make(clock);
    for (let i = 0; i < 100; i++) summary.observe({ task: 'a' }, 4);
    clock.advance(300_000);
    for (let i = 0; i < 100; i++) summary.observe({ task: 'a' }, 1);
    let s = parseExposition(await registry.metrics());
    assert.ok(sampleValue(s, 'x_seconds', { task: 'a', quantile: '0.99' })! > 3.9, 'both halves still in the 10 min window');
    clock.advance(360_000); // the first batch is now 11 min old
    s = parseExposition(await registry.metrics());
    assert.ok(Math.abs(sampleValue(s, 'x_seconds', { task: 'a', quantile: '0.99' })! - 1) < 0.01, 'old observations left the window');
    assert.equal(sampleValue(s, 'x_seconds_count', { task: 'a' }), 200);
    clock.advance(3_600_000);
    s = parseExposition(await registry.metrics());
    assert.ok(Number.isNaN(sampleValue(s, 'x_seconds', { task: 'a', quantile: '0.5' })!), 'an empty window renders NaN');
  });

  it('removes a label set', async () => {
    const clock = new FakeClock();
    const { registry, summary } = make(clock);
    summary.observe({ task: 'a' }, 1);
    summary.observe({ task: 'b' }, 1);
    summary.remove({ task: 'a' });
    const text = await registry.metrics();
    assert.ok(!text.includes('task="a"'));
    assert.ok(text.includes('task="b"'));
  });
});
