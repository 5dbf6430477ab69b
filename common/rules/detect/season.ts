/** The seasons a detector can learn: none, the hour of the day, the hour of the week. */
export type Season = 'none' | '1d' | '1w';

const HOUR = 3_600_000;
const PERIOD_MS: Record<Exclude<Season, 'none'>, number> = { '1d': 24 * HOUR, '1w': 7 * 24 * HOUR };
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * An additive seasonal profile: one offset per hour of the day (`1d`) or of the week (`1w`, 168 buckets),
 * in UTC, read between the two nearest hour centres by linear interpolation (a profile that rises
 * through an hour is not a staircase whose every step looks like a jump). An offset is used only once a
 * whole period has been seen, so the first day is judged against the plain level.
 */
export class SeasonProfile {
  private readonly offsets: Float64Array;
  private readonly periodMs: number;
  private firstAt = Number.NaN;

  constructor(
    season: Exclude<Season, 'none'>,
    /** How far one sample moves its bucket's offset toward what it saw. */
    private readonly rate: number,
  ) {
    this.periodMs = PERIOD_MS[season];
    this.offsets = new Float64Array(this.periodMs / HOUR);
  }

  /** The hour bucket of an instant (epoch ms). */
  bucket(at: number): number {
    return Math.floor(this.position(at) / HOUR);
  }

  /** The offset expected at `at`; 0 until a whole period has been seen. */
  offset(at: number): number {
    if (Number.isNaN(this.firstAt)) this.firstAt = at;
    if (at - this.firstAt < this.periodMs) return 0;
    const [b0, b1, w] = this.neighbours(at);
    return (1 - w) * this.offsets[b0]! + w * this.offsets[b1]!;
  }

  /** Moves the offsets of the two hours around `at` by a (clipped) residual, each by its share. */
  learn(at: number, residual: number): void {
    const [b0, b1, w] = this.neighbours(at);
    this.offsets[b0]! += this.rate * (1 - w) * residual;
    this.offsets[b1]! += this.rate * w * residual;
  }

  private position(at: number): number {
    const p = at % this.periodMs;
    return p < 0 ? p + this.periodMs : p;
  }

  /** The hours whose centres are either side of `at`, and how far `at` is toward the second (0..1). */
  private neighbours(at: number): [number, number, number] {
    const n = this.offsets.length;
    const h = this.position(at) / HOUR - 0.5;
    const lower = Math.floor(h);
    return [(lower + n) % n, (lower + 1) % n, h - lower];
  }

  /** "Tuesday 14:00 UTC" or "14:00 UTC": the bucket in words, for evidence. */
  label(bucket: number): string {
    const hour = `${String(bucket % 24).padStart(2, '0')}:00 UTC`;
    // The epoch (bucket 0 of the week) was a Thursday.
    return this.offsets.length > 24 ? `${DAYS[(Math.floor(bucket / 24) + 4) % 7]} ${hour}` : hour;
  }
}
