/**
 * Watches for a level shift: `after` samples in a row all more than {@link SHIFT_Z} spreads from the
 * expected value, on the same side. When the run is long enough its median is the new level, so a change
 * that persists (a release that is slower for good, a fleet that grew) is alerted on once and then
 * becomes the new normal instead of firing for the rest of time. The run's tail-score entries (bin and
 * weight) are kept beside it so they can be taken back once the shift is absorbed.
 */
export class LevelShift {
  private readonly values: Float64Array;
  readonly bins: Int32Array;
  readonly weights: Float64Array;
  /** Samples in the current run. */
  length = 0;
  /** The tail score's epoch when the run started. */
  epoch = 0;
  private side = 0;

  constructor(readonly after: number) {
    const n = Math.max(1, after);
    this.values = new Float64Array(n);
    this.bins = new Int32Array(n);
    this.weights = new Float64Array(n);
  }

  /**
   * Feeds one sample's z, its deseasonalised value and its tail-score entry; returns the new level once a
   * run reaches `after` samples (read {@link bins} and {@link weights} before the next call), else NaN.
   */
  next(z: number, value: number, bin: number, weight: number, epoch: number): number {
    const side = z > SHIFT_Z ? 1 : z < -SHIFT_Z ? -1 : 0;
    if (side === 0 || this.after === 0) {
      this.length = 0;
      this.side = 0;
      return Number.NaN;
    }
    if (side !== this.side || this.length >= this.after) {
      this.length = 0;
      this.epoch = epoch;
    }
    this.side = side;
    this.values[this.length] = value;
    this.bins[this.length] = bin;
    this.weights[this.length] = weight;
    this.length++;
    if (this.length < this.after) return Number.NaN;
    this.side = 0;
    return median(this.values);
  }
}

/** How many spreads from expected a sample must be to count toward a shift. */
export const SHIFT_Z = 3;

function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
