import { AlertState, INACTIVE } from '../alert-state.js';
import { Ewma } from '../ewma.js';
import type { Keyer } from '../keyer.js';
import { fieldReader, LogMatcher } from '../matchers.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { LogSignal, RuleTransition, Signal } from '../signals.js';

class BaselineState extends AlertState {
  constructor(
    key: string,
    labels: Record<string, string>,
    readonly firstAt: number,
    /** What is normal for this key: a long EWMA that stops learning while the rule is pending or firing. */
    readonly baseline: Ewma,
    /** What is happening now: a short EWMA, so one slow request moves it by only 2/(currentSamples+1). */
    readonly current: Ewma,
  ) {
    super(key, labels, firstAt);
  }
}

/**
 * `kind: baseline`: a numeric field (default `duration_ms`) against its own EWMA baseline, per key, as a
 * ratio (`threshold: 4` = up 300%) or a z-score (EWMA mean and variance). Silent until warmed up
 * (`warmup.samples` and `warmup.duration`). The baseline learns neither samples that are past the
 * threshold on their own nor anything while the rule is pending or firing, so an incident is not taken
 * for the new normal; a slow drift (each sample within the threshold) is learned.
 */
export class BaselineRule extends RuleEvaluator<BaselineState> {
  readonly signals = ['log', 'value'] as const;
  private readonly match: LogMatcher | undefined;
  private readonly read: (e: LogSignal) => number | undefined;
  private readonly zscore: boolean;
  private readonly threshold: number;
  private readonly baselineSamples: number;
  private readonly currentSamples: number;
  private readonly warmupSamples: number;
  private readonly warmupMs: number;
  private readonly minValue: number;

  constructor(rule: RuleOf<'baseline'>, keyer: Keyer) {
    super(rule, keyer);
    this.match = rule.match ? new LogMatcher(rule.match) : undefined;
    this.read = fieldReader(rule.field);
    this.zscore = rule.method === 'zscore';
    this.threshold = rule.threshold;
    this.baselineSamples = rule.baselineSamples;
    this.currentSamples = rule.currentSamples;
    this.warmupSamples = rule.warmup.samples;
    this.warmupMs = rule.warmup.duration;
    this.minValue = rule.minValue;
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    let x: number | undefined;
    if (signal.kind === 'log') {
      if (this.match !== undefined && !this.match.log(signal)) return;
      x = this.read(signal);
    } else if (signal.kind === 'value') {
      if (this.match !== undefined && !this.match.valueInScope(signal)) return;
      x = signal.value;
    }
    if (x === undefined || !Number.isFinite(x)) return;
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    s.current.add(x);
    const warm = s.baseline.n >= this.warmupSamples && signal.at - s.firstAt >= this.warmupMs;
    const score = this.score(s.current.mean, s.baseline);
    const active = warm && s.current.mean >= this.minValue && score >= this.threshold;
    const outlier = warm && this.score(x, s.baseline) >= this.threshold;
    if (outlier && signal.kind === 'log') s.addEvidence(signal.trace_id);
    // Neither a sample past the threshold on its own nor anything while pending or firing is learned:
    // otherwise the ramp up to an incident, then the incident itself, would become the baseline.
    if (!outlier && !active && s.phase === INACTIVE) s.baseline.add(x);
    s.value = score;
    this.evaluate(s, active, signal.at, out);
  }

  /** How far `x` is from the baseline: its ratio to the mean, or its distance in standard deviations. */
  private score(x: number, b: Ewma): number {
    if (b.n === 0) return Number.NaN;
    if (!this.zscore) return b.mean > 0 ? x / b.mean : Number.NaN;
    // A perfectly flat baseline has no spread; a floor keeps every wobble from scoring as infinite.
    const sd = Math.max(b.stddev, Math.abs(b.mean) * 1e-3, 1e-9);
    return (x - b.mean) / sd;
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): BaselineState {
    return new BaselineState(key, labels, signal.at, Ewma.ofSpan(this.baselineSamples), Ewma.ofSpan(this.currentSamples));
  }
}
