import type { Registry } from 'prom-client';

/** Options of a {@link WindowSummary}; `now` (epoch ms) is injected so the window is testable. */
export interface WindowSummaryOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  percentiles: number[];
  maxAgeSeconds: number;
  ageBuckets: number;
  /** Relative accuracy of the quantiles (0.01 = every quantile within 1% of a true sample value). */
  relativeAccuracy?: number;
  registers: Registry[];
  now: () => number;
}

const MIN_VALUE = 1e-9;

/**
 * Sliding-window log-bucketed histogram (DDSketch's mapping: index = ceil(log_γ v), so any quantile is
 * within the relative accuracy of a real sample). `ageBuckets` histograms rotate every
 * maxAgeSeconds/ageBuckets; a quantile merges them, so it covers the last maxAge window.
 */
class SlidingSketch {
  private readonly buckets: Array<Map<number, number>>;
  private head = 0;
  private rotateAt: number;
  count = 0;
  sum = 0;

  constructor(
    private readonly ageBuckets: number,
    private readonly bucketMs: number,
    private readonly logGamma: number,
    now: number,
  ) {
    this.buckets = Array.from({ length: ageBuckets }, () => new Map());
    this.rotateAt = now + bucketMs;
  }

  observe(value: number, now: number): void {
    if (!(value >= 0)) return;
    this.rotate(now);
    const idx = Math.ceil(Math.log(Math.max(value, MIN_VALUE)) / this.logGamma);
    const b = this.buckets[this.head]!;
    b.set(idx, (b.get(idx) ?? 0) + 1);
    this.count++;
    this.sum += value;
  }

  /** Quantiles over the window, NaN when it holds no observation. */
  quantiles(qs: number[], now: number): number[] {
    this.rotate(now);
    const merged = new Map<number, number>();
    let n = 0;
    for (const b of this.buckets) {
      for (const [i, c] of b) {
        merged.set(i, (merged.get(i) ?? 0) + c);
        n += c;
      }
    }
    if (n === 0) return qs.map(() => NaN);
    const idx = [...merged.keys()].sort((a, b) => a - b);
    const gamma = Math.exp(this.logGamma);
    return qs.map((q) => {
      const rank = q * (n - 1);
      let cum = 0;
      for (const i of idx) {
        cum += merged.get(i)!;
        if (cum > rank) return (2 * gamma ** i) / (gamma + 1);
      }
      return (2 * gamma ** idx.at(-1)!) / (gamma + 1);
    });
  }

  private rotate(now: number): void {
    if (now < this.rotateAt) return;
    const steps = Math.min(this.ageBuckets, Math.floor((now - this.rotateAt) / this.bucketMs) + 1);
    for (let s = 0; s < steps; s++) {
      this.head = (this.head + 1) % this.ageBuckets;
      this.buckets[this.head]!.clear();
    }
    this.rotateAt += Math.ceil((now - this.rotateAt + 1) / this.bucketMs) * this.bucketMs;
  }
}

/**
 * A Prometheus summary with sliding-window quantiles, registered on a prom-client Registry.
 * prom-client's own Summary keeps a t-digest per age bucket and inserts every observation into all of
 * them, then compresses at scrape time; this one costs one log and one map increment per observation
 * and renders in microseconds per series, which matters for an agent on a small edge device.
 * `_sum` and `_count` are cumulative, as Prometheus expects.
 */
export class WindowSummary<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'summary';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<L, string>; sketch: SlidingSketch }>();
  private readonly logGamma: number;
  private readonly bucketMs: number;

  constructor(private readonly options: WindowSummaryOptions<L>) {
    this.name = options.name;
    this.help = options.help;
    const alpha = options.relativeAccuracy ?? 0.01;
    this.logGamma = Math.log((1 + alpha) / (1 - alpha));
    this.bucketMs = (options.maxAgeSeconds * 1000) / options.ageBuckets;
    for (const r of options.registers) r.registerMetric(this as never);
  }

  private key(labels: Record<L, string>): string {
    return this.options.labelNames.map((n) => labels[n]).join('\u0000');
  }

  /** A handle for one label set; the series appears with its first observation. */
  labels(labels: Record<L, string>): { observe(value: number): void } {
    const key = this.key(labels);
    const copy = { ...labels };
    const now = this.options.now;
    let sketch: SlidingSketch | undefined;
    return {
      observe: (value) => {
        sketch ??= this.sketch(key, copy);
        sketch.observe(value, now());
      },
    };
  }

  private sketch(key: string, labels: Record<L, string>): SlidingSketch {
    let s = this.series.get(key);
    if (!s) {
      s = { labels, sketch: new SlidingSketch(this.options.ageBuckets, this.bucketMs, this.logGamma, this.options.now()) };
      this.series.set(key, s);
    }
    return s.sketch;
  }

  observe(labels: Record<L, string>, value: number): void {
    this.labels(labels).observe(value);
  }

  remove(labels: Record<L, string>): void {
    this.series.delete(this.key(labels));
  }

  reset(): void {
    this.series.clear();
  }

  /** prom-client's Metric contract: what Registry.metrics() renders. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> } {
    const now = this.options.now();
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName?: string }> = [];
    for (const { labels, sketch } of this.series.values()) {
      const qs = sketch.quantiles(this.options.percentiles, now);
      this.options.percentiles.forEach((q, i) => values.push({ labels: { ...labels, quantile: q }, value: qs[i]! }));
      values.push({ metricName: `${this.name}_sum`, labels, value: sketch.sum });
      values.push({ metricName: `${this.name}_count`, labels, value: sketch.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
