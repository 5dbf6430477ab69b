import { AlertState, INACTIVE } from '../alert-state.js';
import type { Keyer } from '../keyer.js';
import { LogMatcher } from '../matchers.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { RuleTransition, Signal } from '../signals.js';

/**
 * `kind: pattern`: fires on the first log line that matches (a message regex, a level, ...), and resolves
 * once `keepFiringFor` passes without another; its value is the number of matching lines in the episode.
 */
export class PatternRule extends RuleEvaluator {
  readonly signals = ['log', 'value'] as const;
  private readonly match: LogMatcher;

  constructor(rule: RuleOf<'pattern'>, keyer: Keyer) {
    super(rule, keyer);
    this.match = new LogMatcher(rule.match);
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    if (this.match.verdict(signal) !== 'match') return;
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    s.value = s.phase === INACTIVE ? 1 : s.value + 1;
    if (signal.kind === 'log') s.addEvidence(signal.trace_id);
    // The condition is the line itself: true at this instant, false right after, so keepFiringFor runs from here.
    this.evaluate(s, true, signal.at, out);
    this.evaluate(s, false, signal.at, out);
  }

  protected override disposable(): boolean {
    return true;
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): AlertState {
    return new AlertState(key, labels, signal.at);
  }
}
