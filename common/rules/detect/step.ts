/** How a step's samples become the one value the detector judges. */
export type Stat = 'value' | 'mean' | 'max' | 'p50' | 'p90' | 'p99' | 'rate' | 'ratio';

const QUANTILE: Partial<Record<Stat, number>> = { p50: 0.5, p90: 0.9, p99: 0.99 };
/** Empty steps fed as zero rates after a gap, at most: past that the key goes idle anyway. */
const MAX_EMPTY_STEPS = 1440;

/**
 * One key's open step. The fields live on the key's own state object (a rule reads every event of every
 * key: one object per key touched per event, not two), so this is an interface and {@link Steps} the code.
 */
export interface StepFields {
  /** Start of the open step (epoch ms), NaN before the first sample. */
  stepStart: number;
  stepCount: number;
  stepSum: number;
  stepMax: number;
  stepHits: number;
  /** Empty steps closed in a row. */
  stepEmpty: number;
  /** The step's samples, for a quantile (grown by doubling, reused from step to step). */
  stepValues: Float64Array;
}

/**
 * Reduces the samples of one key to one value per `stepMs` (aligned to the epoch, so every key's steps
 * end together): their mean, max, a quantile, their rate (per second) or the share of them that were hits
 * (`ratio`). A step with no sample yields a rate of 0 (silence is what a collapse looks like) and nothing
 * for the other stats.
 */
export class Steps {
  private readonly quantile: number | undefined;

  constructor(
    readonly stepMs: number,
    readonly stat: Stat,
  ) {
    this.quantile = QUANTILE[stat];
  }

  /** Adds a sample to the open step (close the steps {@link due} first, so it lands in the right one). */
  add(st: StepFields, at: number, x: number, hit: boolean): void {
    if (Number.isNaN(st.stepStart)) st.stepStart = at - (at % this.stepMs);
    const n = ++st.stepCount;
    st.stepSum += x;
    if (x > st.stepMax) st.stepMax = x;
    if (hit) st.stepHits++;
    if (this.quantile !== undefined) {
      if (n > st.stepValues.length) grow(st);
      st.stepValues[n - 1] = x;
    }
  }

  /** Whether the open step ended by `now`. */
  due(st: StepFields, now: number): boolean {
    return now >= st.stepStart + this.stepMs;
  }

  /**
   * Closes the open step and returns its value, NaN when it has none (an empty step of a stat other than
   * rate, or a gap past {@link MAX_EMPTY_STEPS}, which jumps to the step of `now`). Call while {@link due}.
   */
  close(st: StepFields, now: number): number {
    const end = st.stepStart + this.stepMs;
    let value = this.reduce(st);
    st.stepEmpty = st.stepCount > 0 ? 0 : st.stepEmpty + 1;
    st.stepCount = 0;
    st.stepSum = 0;
    st.stepMax = Number.NEGATIVE_INFINITY;
    st.stepHits = 0;
    st.stepStart = end;
    if (st.stepEmpty > MAX_EMPTY_STEPS) {
      value = Number.NaN;
      st.stepStart = now - (now % this.stepMs);
    }
    return value;
  }

  private reduce(st: StepFields): number {
    if (this.stat === 'rate') return st.stepCount / (this.stepMs / 1000);
    if (st.stepCount === 0) return Number.NaN;
    switch (this.stat) {
      case 'max':
        return st.stepMax;
      case 'ratio':
        return st.stepHits / st.stepCount;
      case 'value':
      case 'mean':
        return st.stepSum / st.stepCount;
      default:
        return quantileOf(st.stepValues.subarray(0, st.stepCount), this.quantile!);
    }
  }
}

function grow(st: StepFields): void {
  const bigger = new Float64Array(Math.max(16, st.stepValues.length * 2));
  bigger.set(st.stepValues);
  st.stepValues = bigger;
}

/** The q-quantile of values (nearest rank), sorting them in place (numerically: a typed array). */
export function quantileOf(values: Float64Array, q: number): number {
  values.sort();
  return values[Math.min(values.length - 1, Math.max(0, Math.ceil(q * values.length) - 1))]!;
}
