/** Histogram bins of |z| on a log scale, from 0 to {@link Z_MAX}. */
const BINS = 64;
/** |z| at or past this lands in the last bin. */
const Z_MAX = 1000;
const LOG_Z_MAX = Math.log1p(Z_MAX);
/** Weights are rescaled before they overflow. */
const RESCALE_AT = 1e100;

/**
 * How unusual a deviation is for this series: the share of its own past deviations (|z|, with a slowly
 * fading memory) that were smaller. A series with heavy tails (tweet counts, request bursts) keeps scoring
 * its everyday bursts low, where a fixed z threshold would fire on them all; that is what lets one default
 * (score >= 0.998: rarer than one sample in 500) fit series of any shape.
 */
export class TailScore {
  private readonly bins = new Float64Array(BINS);
  private total = 0;
  /** The weight of the next sample: it grows by 1/(1-fade) per sample instead of every bin fading. */
  private weight = 1;
  private readonly growth: number;
  /** The bin and weight the last {@link next} added, so a caller can take it back with {@link forget}. */
  lastBin = 0;
  lastWeight = 0;
  /** Counts rescales: a weight remembered before one is in another unit and is not taken back. */
  epoch = 0;

  /** `memorySamples`: about how many recent samples the histogram remembers (fade = 1/memorySamples). */
  constructor(memorySamples: number) {
    this.growth = 1 / (1 - 1 / memorySamples);
  }

  /** The score of a deviation of `absZ` (0..1), then remembers it. */
  next(absZ: number): number {
    const bin = absZ >= Z_MAX ? BINS - 1 : Math.floor((Math.log1p(absZ) / LOG_Z_MAX) * BINS);
    let atOrAbove = 0;
    for (let i = bin; i < BINS; i++) atOrAbove += this.bins[i]!;
    const score = this.total > 0 ? 1 - atOrAbove / this.total : 0;
    this.bins[bin]! += this.weight;
    this.total += this.weight;
    this.lastBin = bin;
    this.lastWeight = this.weight;
    this.weight *= this.growth;
    if (this.weight > RESCALE_AT) this.rescale();
    return score;
  }

  /**
   * Takes back deviations added earlier (by their bin and weight, in `epoch`): those of a level shift,
   * once it is absorbed, were the shift and not the series' noise, and would hide the next anomaly.
   */
  forget(bins: Int32Array, weights: Float64Array, count: number, epoch: number): void {
    if (epoch !== this.epoch) return;
    for (let i = 0; i < count; i++) {
      const b = bins[i]!;
      const w = Math.min(weights[i]!, this.bins[b]!);
      this.bins[b]! -= w;
      this.total -= w;
    }
  }

  private rescale(): void {
    const k = 1 / this.weight;
    for (let i = 0; i < BINS; i++) this.bins[i]! *= k;
    this.total *= k;
    this.weight = 1;
    this.epoch++;
  }
}
