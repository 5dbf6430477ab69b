import { AlertState } from '../alert-state.js';
import type { Keyer } from '../keyer.js';
import { LogMatcher } from '../matchers.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { RuleTransition, Signal } from '../signals.js';

class WindowState extends AlertState {
  /** Times of the newest matching events still inside the window, oldest first, at most `count` of them. */
  readonly times: number[] = [];
}

/**
 * "At least `count` events within `window`" per key. Only the newest `count` times are kept, which is
 * all the condition needs, so a key costs at most `count` numbers however busy it is.
 */
abstract class WindowCountRule extends RuleEvaluator<WindowState> {
  private readonly count: number;
  private readonly windowMs: number;

  constructor(rule: RuleOf<'count'> | RuleOf<'crashloop'>, keyer: Keyer) {
    super(rule, keyer);
    this.count = rule.count;
    this.windowMs = rule.window;
  }

  /** Records `n` events at `at` for the key and re-evaluates it. */
  protected hit(s: WindowState, at: number, n: number, out: RuleTransition[]): void {
    for (let i = Math.min(n, this.count); i > 0; i--) {
      if (s.times.length === this.count) s.times.shift();
      s.times.push(at);
    }
    this.evaluate(s, this.holds(s, at), at, out);
  }

  protected override refresh(s: WindowState, now: number): boolean {
    return this.holds(s, now);
  }

  protected override disposable(s: WindowState): boolean {
    return s.times.length === 0;
  }

  private holds(s: WindowState, now: number): boolean {
    const oldest = now - this.windowMs;
    while (s.times.length > 0 && s.times[0]! <= oldest) s.times.shift();
    s.value = s.times.length;
    return s.times.length >= this.count;
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): WindowState {
    return new WindowState(key, labels, signal.at);
  }
}

/** `kind: count`: at least `count` matching log events of a key within the sliding `window`. */
export class CountRule extends WindowCountRule {
  readonly signals = ['log', 'value'] as const;
  private readonly match: LogMatcher;

  constructor(rule: RuleOf<'count'>, keyer: Keyer) {
    super(rule, keyer);
    this.match = new LogMatcher(rule.match);
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    if (this.match.verdict(signal) !== 'match') return;
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    if (signal.kind === 'log') s.addEvidence(signal.trace_id);
    this.hit(s, signal.at, 1, out);
  }
}

/**
 * `kind: crashloop`: at least `count` restarts of a task within `window`. Restarts edgewatch ordered
 * (`ignoreReasons`, by default Command and Updated) do not count, so remediation cannot feed it.
 */
export class CrashloopRule extends WindowCountRule {
  readonly signals = ['restart', 'value'] as const;
  private readonly ignore: Set<string>;

  constructor(rule: RuleOf<'crashloop'>, keyer: Keyer) {
    super(rule, keyer);
    this.ignore = new Set(rule.ignoreReasons);
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    let n: number;
    if (signal.kind === 'restart') n = this.ignore.has(signal.reason) ? 0 : 1;
    else if (signal.kind === 'value') n = Math.max(0, Math.round(signal.value));
    else return;
    if (n === 0) return;
    const s = this.stateFor(signal, out);
    if (s !== undefined) this.hit(s, signal.at, n, out);
  }
}
