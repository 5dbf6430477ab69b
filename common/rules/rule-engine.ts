import { Keyer } from './keyer.js';
import { AbsenceRule } from './kinds/absence.js';
import { AlertMirrorRule } from './kinds/alert-mirror.js';
import { BaselineRule } from './kinds/baseline.js';
import { ConsecutiveRule } from './kinds/consecutive.js';
import { PatternRule } from './kinds/pattern.js';
import { RobustBaselineRule } from './kinds/robust-baseline.js';
import { CountRule, CrashloopRule } from './kinds/window-count.js';
import type { RuleEvaluator, RuleStats, SignalKind } from './rule-evaluator.js';
import type { Rule } from './rule-schema.js';
import type { RuleTransition, Signal } from './signals.js';

/** Options of {@link RuleEngine}. */
export interface RuleEngineOptions {
  /**
   * A signal older than the latest tick by more than this is counted as late and not evaluated: a backlog
   * an edge node drains after an outage must not restart a task for what went wrong hours ago. Default
   * 5 minutes; `Infinity` evaluates everything (backtests).
   */
  maxLateMs?: number;
}

/** The engine's counters: per rule, and signals dropped as late. */
export interface RuleEngineStats {
  rules: RuleStats[];
  late: number;
}

const NONE = Object.freeze([]) as unknown as RuleTransition[];

/** The evaluator of one rule's kind (the engine's, and `backtest`'s, which drives one directly). */
export function createEvaluator(rule: Rule, keyer: Keyer): RuleEvaluator {
  switch (rule.kind) {
    case 'consecutive': return new ConsecutiveRule(rule, keyer);
    case 'baseline': return new BaselineRule(rule, keyer);
    case 'robust-baseline': return new RobustBaselineRule(rule, keyer);
    case 'count': return new CountRule(rule, keyer);
    case 'crashloop': return new CrashloopRule(rule, keyer);
    case 'absence': return new AbsenceRule(rule, keyer);
    case 'pattern': return new PatternRule(rule, keyer);
    case 'alert': return new AlertMirrorRule(rule, keyer);
  }
}

/**
 * The collector's rule engine: signals in, alert transitions out. Pure and synchronous; time comes only
 * from the signals' `at` and from {@link RuleEngine.tick}, which the composition root calls on a timer
 * (about once a second) so that leases, `for:` and `keepFiringFor:` advance when no signal arrives.
 */
export class RuleEngine {
  private readonly evaluators: RuleEvaluator[];
  private readonly routes: Partial<Record<SignalKind, RuleEvaluator[]>> = {};
  private readonly keyers: Keyer[] = [];
  private readonly maxLateMs: number;
  private lastTick = -Infinity;
  private late = 0;
  private out: RuleTransition[] = [];

  constructor(rules: readonly Rule[], options: RuleEngineOptions = {}) {
    this.maxLateMs = options.maxLateMs ?? 5 * 60_000;
    const keyers = new Map<string, Keyer>();
    this.evaluators = rules.map((rule) => {
      const signature = rule.by.join('\u0000');
      let keyer = keyers.get(signature);
      if (!keyer) keyers.set(signature, (keyer = new Keyer(rule.by)));
      return createEvaluator(rule, keyer);
    });
    this.keyers = [...keyers.values()];
    for (const e of this.evaluators) for (const kind of e.signals) (this.routes[kind] ??= []).push(e);
  }

  /**
   * Feeds one signal to the rules that read its kind and returns the transitions it caused. The common
   * answer, none, is a shared frozen empty array: read it, do not modify it.
   */
  observe(signal: Signal): RuleTransition[] {
    const rules = this.routes[signal.kind];
    if (rules === undefined) return NONE;
    if (signal.at < this.lastTick - this.maxLateMs) {
      this.late++;
      return NONE;
    }
    for (const k of this.keyers) k.forget();
    const out = this.out;
    for (const rule of rules) rule.observe(signal, out);
    if (out.length === 0) return NONE;
    this.out = [];
    return out;
  }

  /** Advances every rule to `now` (epoch ms): leases, `for`, `keepFiringFor`, windows and idle keys. */
  tick(now: number): RuleTransition[] {
    if (now > this.lastTick) this.lastTick = now;
    const out: RuleTransition[] = [];
    for (const rule of this.evaluators) rule.tick(now, out);
    return out.length === 0 ? NONE : out;
  }

  /** Forgets a rule's key (see {@link RuleEvaluator.forget}); false when the rule or key is unknown. */
  forget(rule: string, key: string): boolean {
    return this.evaluators.find((e) => e.name === rule)?.forget(key) ?? false;
  }

  /** Whether a rule's key is firing now. */
  isFiring(rule: string, key: string): boolean {
    const out: RuleTransition[] = [];
    this.evaluators.find((e) => e.name === rule)?.active(out);
    return out.some((t) => t.key === key);
  }

  /** Every alert firing now, one `firing` transition per rule and key (as of when it fired). */
  active(): RuleTransition[] {
    const out: RuleTransition[] = [];
    for (const rule of this.evaluators) rule.active(out);
    return out;
  }

  /** Keys held, firing, evicted and expired per rule, and late signals: the engine's metrics. */
  stats(): RuleEngineStats {
    return { rules: this.evaluators.map((e) => e.stats()), late: this.late };
  }

  /** The names of the loaded rules, in file order. */
  get ruleNames(): string[] {
    return this.evaluators.map((e) => e.name);
  }
}
