/** How a step's samples become the one value the detector judges. */
export type Stat = 'value' | 'mean' | 'max' | 'p50' | 'p90' | 'p99' | 'rate' | 'ratio';

const QUANTILE: Partial<Record<Stat, number>> = { p50: 0.5, p90: 0.9, p99: 0.99 };
/** Empty steps fed as zero rates after a gap, at most: past that the key goes idle anyway. */
const MAX_EMPTY_STEPS = 1440;

/**
 * Reduces the samples of one key to one value per `stepMs` (aligned to the epoch): their mean, max, a
 * quantile, their rate (per second) or the share of them that were hits (`ratio`). A step with no sample
 * yields a rate of 0 (silence is what a collapse looks like) and nothing for the other stats.
 */
export class StepAggregator {
  /** Start of the open step (epoch ms), NaN before the first sample. */
  start = Number.NaN;
  private count = 0;
  private sum = 0;
  private max = Number.NEGATIVE_INFINITY;
  private hits = 0;
  /** Empty steps closed in a row. */
  private empty = 0;
  /** The step's samples, for a quantile (grown by doubling, reused from step to step). */
  private values = new Float64Array(0);
  private readonly quantile: number | undefined;

  constructor(
    readonly stepMs: number,
    readonly stat: Stat,
  ) {
    this.quantile = QUANTILE[stat];
  }

  /** Adds a sample to the open step (close the steps {@link due} first, so it lands in the right one). */
  add(at: number, x: number, hit: boolean): void {
    if (Number.isNaN(this.start)) this.start = at - (at % this.stepMs);
    this.count++;
    this.sum += x;
    if (x > this.max) this.max = x;
    if (hit) this.hits++;
    if (this.quantile !== undefined) {
      if (this.count > this.values.length) this.grow();
      this.values[this.count - 1] = x;
    }
  }

  /** Whether the open step ended by `now`. */
  due(now: number): boolean {
    return now >= this.start + this.stepMs;
  }

  /**
   * Closes the open step and returns its value, NaN when it has none (an empty step of a stat other than
   * rate, or a gap past {@link MAX_EMPTY_STEPS}, which jumps to the step of `now`). Call while {@link due}.
   */
  close(now: number): number {
    const end = this.start + this.stepMs;
    let value = this.reduce();
    this.empty = this.count > 0 ? 0 : this.empty + 1;
    this.reset();
    this.start = end;
    if (this.empty > MAX_EMPTY_STEPS) {
      value = Number.NaN;
      this.start = now - (now % this.stepMs);
    }
    return value;
  }

  private reduce(): number {
    if (this.stat === 'rate') return this.count / (this.stepMs / 1000);
    if (this.count === 0) return Number.NaN;
    switch (this.stat) {
      case 'max':
        return this.max;
      case 'ratio':
        return this.hits / this.count;
      case 'value':
      case 'mean':
        return this.sum / this.count;
      default:
        return quantileOf(this.values.subarray(0, this.count), this.quantile!);
    }
  }

  private reset(): void {
    this.count = 0;
    this.sum = 0;
    this.max = Number.NEGATIVE_INFINITY;
    this.hits = 0;
  }

  private grow(): void {
    const bigger = new Float64Array(Math.max(16, this.values.length * 2));
    bigger.set(this.values);
    this.values = bigger;
  }
}

/** The q-quantile of values (nearest rank), sorting them in place (numerically: a typed array). */
export function quantileOf(values: Float64Array, q: number): number {
  values.sort();
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
}
