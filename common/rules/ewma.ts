/**
 * An exponentially weighted mean and variance over samples. The first `1/alpha` samples are weighted
 * equally (weight 1/n), so the estimate starts as the plain mean and variance of what it has seen instead
 * of leaning on the first sample; after that each sample weighs `alpha` (West's incremental update).
 */
export class Ewma {
  /** Samples folded in so far. */
  n = 0;
  mean = 0;
  variance = 0;

  constructor(private readonly alpha: number) {}

  /** An EWMA whose weights have the centre of mass of a `samples`-long moving average (alpha = 2/(N+1)). */
  static ofSpan(samples: number): Ewma {
    return new Ewma(2 / (samples + 1));
  }

  add(x: number): void {
    this.n++;
    const a = Math.max(this.alpha, 1 / this.n);
    const diff = x - this.mean;
    const incr = a * diff;
    this.mean += incr;
    this.variance = (1 - a) * (this.variance + diff * incr);
  }

  get stddev(): number {
    return Math.sqrt(this.variance);
  }
}
