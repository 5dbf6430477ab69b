import { AlertState, FIRING, INACTIVE } from '../alert-state.js';
import { Detector, type DetectorStep } from '../detect/detector.js';
import { evidence, formatScore } from '../detect/evidence.js';
import { type Stat, type StepFields, Steps } from '../detect/step.js';
import type { Keyer } from '../keyer.js';
import { fieldReader, LogMatcher } from '../matchers.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { HeartbeatSignal, LogSignal, RuleTransition, Signal } from '../signals.js';

type Rule = RuleOf<'robust-baseline'>;

class RobustState extends AlertState implements StepFields {
  /** Judged samples since the last onset: a new episode waits `refractory` of them. */
  sinceOnset = Number.POSITIVE_INFINITY;
  stepStart = Number.NaN;
  stepCount = 0;
  stepSum = 0;
  stepMax = Number.NEGATIVE_INFINITY;
  stepHits = 0;
  stepEmpty = 0;
  stepValues = NO_VALUES;
  /** The judged sample that last made the condition true, and the detector's verdict on it. */
  readonly anomaly = { at: 0, x: Number.NaN, expected: Number.NaN, spread: Number.NaN, score: 0, bucket: -1 };

  constructor(
    key: string,
    labels: Record<string, string>,
    now: number,
    readonly detector: Detector,
  ) {
    super(key, labels, now);
  }
}

const NO_VALUES = new Float64Array(0);

const HEARTBEAT_READERS: Record<string, (s: HeartbeatSignal) => number | undefined> = {
  memory_bytes: (s) => s.load?.memoryBytes,
  memory_ratio: (s) => (s.load && s.load.memoryTotalBytes > 0 ? s.load.memoryBytes / s.load.memoryTotalBytes : undefined),
  cpu: (s) => s.load?.cpu,
};

/** How often a rule without steps walks its keys (to forget idle ones) when none is pending or firing. */
const SWEEP_MS = 60_000;

/** How evidence names a field: "p99 latency 412 ms". */
const FIELD_NAMES: Record<string, string> = { duration_ms: 'latency', memory_bytes: 'memory', memory_ratio: 'memory', cpu: 'cpu' };

/**
 * `kind: robust-baseline`: a numeric series per key (a log field, a heartbeat's load, or per-step stats of
 * either: p99 latency, error ratio, request rate) judged by a {@link Detector}: two-sided, robust to its
 * own outliers, absorbing persistent shifts, optionally seasonal. The rule fires on a sample the detector
 * calls anomalous, except within `refractory` samples of the last onset; its alerts carry `evidence`
 * ("p99 412 ms, expected 95 ± 12 ms, score 0.9991") and `score` annotations.
 */
export class RobustBaselineRule extends RuleEvaluator<RobustState> {
  readonly signals: readonly Signal['kind'][];
  private readonly match: LogMatcher | undefined;
  private readonly numerator: LogMatcher | undefined;
  private readonly readLog: (e: LogSignal) => number | undefined;
  private readonly readBeat: ((s: HeartbeatSignal) => number | undefined) | undefined;
  private readonly stat: Stat;
  /** The step arithmetic, when the rule has a step (the open step's fields are on each key's state). */
  private readonly steps: Steps | undefined;
  /** Whether the stat counts events (rate, ratio) rather than reading a field. */
  private readonly counts: boolean;
  private readonly what: string;
  private readonly unit: string;
  /** The verdict on the latest judged sample of any key (what `backtest` reports per row). */
  latest: DetectorStep | undefined;

  constructor(
    private readonly rule: Rule,
    keyer: Keyer,
  ) {
    super(rule, keyer);
    this.signals = rule.signal === 'heartbeat' ? ['heartbeat', 'value'] : ['log', 'value'];
    this.match = rule.match ? new LogMatcher(rule.match) : undefined;
    this.numerator = rule.numerator ? new LogMatcher(rule.numerator) : undefined;
    const field = rule.field ?? (rule.signal === 'heartbeat' ? 'memory_ratio' : 'duration_ms');
    this.readLog = fieldReader(rule.signal === 'log' ? field : 'duration_ms');
    this.readBeat = rule.signal === 'heartbeat' ? HEARTBEAT_READERS[field] : undefined;
    this.stat = rule.stat ?? (rule.step > 0 ? 'mean' : 'value');
    this.counts = this.stat === 'rate' || this.stat === 'ratio';
    this.steps = rule.step > 0 ? new Steps(rule.step, this.stat) : undefined;
    // A rule that names no field reads what it is given (a backtest's values): evidence says "value".
    const named = rule.field === undefined ? 'value' : (FIELD_NAMES[field] ?? field);
    this.what = this.stat === 'rate' ? 'rate' : this.stat === 'ratio' ? 'ratio' : this.stat === 'value' ? named : `${this.stat} ${named}`;
    this.unit = rule.unit ?? defaultUnit(this.stat, rule.field ?? '');
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    let x: number | undefined;
    let hit = false;
    if (signal.kind === 'log') {
      if (this.match !== undefined && !this.match.log(signal)) return;
      x = this.counts ? 0 : this.readLog(signal);
      if (this.numerator !== undefined) hit = this.numerator.log(signal);
    } else if (signal.kind === 'heartbeat') {
      x = this.readBeat?.(signal);
    } else if (signal.kind === 'value') {
      if (this.match !== undefined && !this.match.valueInScope(signal)) return;
      x = signal.value;
      hit = signal.value !== 0;
    }
    if (x === undefined || !Number.isFinite(x)) return;
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    const steps = this.steps;
    if (steps === undefined) return this.judge(s, signal.at, x, out);
    if (steps.due(s, signal.at)) this.closeSteps(s, signal.at, out);
    steps.add(s, signal.at, x, hit);
  }

  /** Where transitions raised while ticking go (refresh has no `out` of its own). */
  private tickOut: RuleTransition[] | undefined;
  /** The next tick that must visit every key: when the open steps end (they end together, epoch-aligned). */
  private nextSweep = Number.NEGATIVE_INFINITY;
  /** Whether some key is pending or firing, so `for` and `keepFiringFor` need every tick. */
  private unsettled = false;
  private unsettledSeen = false;

  /**
   * Between step ends, with every key inactive, a tick has nothing to do for this rule but forget idle
   * keys, which can wait for the next sweep; so most ticks skip the walk over the keys.
   */
  override tick(now: number, out: RuleTransition[]): void {
    if (now < this.nextSweep && !this.unsettled) return;
    const every = this.rule.step > 0 ? this.rule.step : Math.min(SWEEP_MS, this.rule.idle);
    this.nextSweep = now - (now % every) + every;
    this.tickOut = out;
    this.unsettledSeen = false;
    try {
      super.tick(now, out);
    } finally {
      this.tickOut = undefined;
      this.unsettled = this.unsettledSeen;
    }
  }

  /** Time passing closes steps: a key that went silent is judged on its empty steps (a rate of 0). */
  protected override refresh(s: RobustState, now: number): boolean {
    if (this.steps !== undefined && this.tickOut !== undefined) this.closeSteps(s, now, this.tickOut);
    if (s.active || s.phase !== INACTIVE) this.unsettledSeen = true;
    return s.active;
  }

  private closeSteps(s: RobustState, now: number, out: RuleTransition[]): void {
    const steps = this.steps!;
    while (steps.due(s, now)) {
      const end = s.stepStart + steps.stepMs;
      const value = steps.close(s, now);
      if (!Number.isNaN(value)) this.judge(s, end, value, out);
    }
  }

  private judge(s: RobustState, at: number, x: number, out: RuleTransition[]): void {
    const d = s.detector.next(at, x);
    this.latest = d;
    s.value = x;
    s.sinceOnset++;
    const active = d.anomalous && (s.phase !== INACTIVE || s.sinceOnset >= this.rule.refractory);
    if (active) {
      const e = s.anomaly;
      e.at = at;
      e.x = x;
      e.expected = d.expected;
      e.spread = d.spread;
      e.score = d.score;
      e.bucket = d.bucket;
    }
    const wasFiring = s.phase === FIRING;
    this.evaluate(s, active, at, out);
    if (!wasFiring && s.phase === FIRING) s.sinceOnset = 0;
    if (s.phase !== INACTIVE) this.unsettled = this.unsettledSeen = true;
  }

  protected override baseAnnotations(s: RobustState): Record<string, string> {
    const e = s.anomaly;
    if (Number.isNaN(e.x)) return {};
    return { evidence: evidence(this.what, e.x, e, this.unit, s.detector.bucketLabel(e.bucket)), score: formatScore(e.score) };
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): RobustState {
    const r = this.rule;
    const detector = new Detector({
      direction: r.direction,
      season: r.season,
      warmupSamples: r.warmup,
      baselineSamples: r.baselineSamples,
      absorbAfter: r.absorbAfter,
      minScore: r.minScore,
      minSpread: r.minSpread,
    });
    return new RobustState(key, labels, signal.at, detector);
  }
}

function defaultUnit(stat: Stat, field: string): string {
  if (stat === 'rate') return '/s';
  if (stat === 'ratio' || field === 'memory_ratio') return '%';
  if (field === 'duration_ms') return 'ms';
  if (field === 'memory_bytes') return 'bytes';
  return '';
}
