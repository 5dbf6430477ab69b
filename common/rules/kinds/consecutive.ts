import { AlertState, INACTIVE } from '../alert-state.js';
import type { Keyer } from '../keyer.js';
import { LogMatcher } from '../matchers.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { RuleTransition, Signal } from '../signals.js';

class StreakState extends AlertState {
  streak = 0;
}

/**
 * `kind: consecutive`: fires when `count` matching events of a key arrive in a row. A non-matching event
 * of the key (within the rule's node/task/service matchers) resets the streak: with `reset: fields`
 * (default) only one that carries the fields the matchers test, so a 200 resets a run of 5xx and an
 * unrelated log line without a status does not.
 */
export class ConsecutiveRule extends RuleEvaluator<StreakState> {
  readonly signals = ['log', 'value'] as const;
  private readonly match: LogMatcher;
  private readonly count: number;
  private readonly resetOn: 'any' | 'fields';

  constructor(rule: RuleOf<'consecutive'>, keyer: Keyer) {
    super(rule, keyer);
    this.match = new LogMatcher(rule.match);
    this.count = rule.count;
    this.resetOn = rule.reset;
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    const verdict = this.match.verdict(signal, this.resetOn);
    if (verdict === 'other') return;
    if (verdict === 'miss') return this.reset(signal, out);
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    s.streak++;
    s.value = s.streak;
    if (signal.kind === 'log') s.addEvidence(signal.trace_id);
    this.evaluate(s, s.streak >= this.count, signal.at, out);
  }

  private reset(signal: Signal, out: RuleTransition[]): void {
    const key = this.keyer.key(signal);
    const s = key === undefined ? undefined : this.table.get(key);
    if (s === undefined) return;
    s.seen(signal.at);
    s.streak = 0;
    if (s.phase === INACTIVE) s.traceIds = undefined;
    this.evaluate(s, false, signal.at, out);
    // A key with no streak and no alert holds nothing worth keeping.
    if (s.phase === INACTIVE) this.table.delete(s.key);
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): StreakState {
    return new StreakState(key, labels, signal.at);
  }
}
