import { AlertState } from '../alert-state.js';
import type { Keyer } from '../keyer.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { RuleTransition, Signal } from '../signals.js';

/**
 * `kind: absence`: fires on {@link RuleEvaluator.tick} when a key that has sent a signal of kind `signal`
 * (default heartbeat) has sent none for `lease`, and resolves when one arrives. Only keys seen at least
 * once are watched, and a firing key stays firing however long it is silent: silence is the symptom.
 */
export class AbsenceRule extends RuleEvaluator {
  readonly signals: readonly Signal['kind'][];
  protected override readonly staleResolves = false;
  private readonly leaseMs: number;

  constructor(rule: RuleOf<'absence'>, keyer: Keyer) {
    super(rule, keyer);
    this.signals = [rule.signal, 'value'];
    this.leaseMs = rule.lease;
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    // A backtest row is the signal arriving when its value is non-zero, and only time passing when it is 0.
    if (signal.kind === 'value' && signal.value === 0) return;
    const key = this.keyOf(signal);
    const before = key === undefined ? undefined : this.table.get(key)?.lastSeen;
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    // A late signal (older than one already seen) says nothing about now.
    if (before !== undefined && signal.at < before) return;
    s.value = before === undefined ? 0 : (signal.at - before) / 1000;
    this.evaluate(s, false, signal.at, out);
  }

  protected override refresh(s: AlertState, now: number): boolean {
    const silentMs = now - s.lastSeen;
    if (silentMs >= this.leaseMs) s.value = silentMs / 1000;
    return silentMs >= this.leaseMs;
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): AlertState {
    return new AlertState(key, labels, signal.at);
  }
}
