import { AlertState, FIRING, INACTIVE, PENDING } from './alert-state.js';
import { KeyTable } from './key-table.js';
import type { Keyer } from './keyer.js';
import type { Rule } from './rule-schema.js';
import type { ActionType, RuleTransition, Signal } from './signals.js';
import { compileTemplate, type TemplateData } from './templates.js';

/** The kinds of signal the engine routes to rules. */
export type SignalKind = Signal['kind'];

/** One rule's counters, ready to become metrics. */
export interface RuleStats {
  rule: string;
  kind: Rule['kind'];
  /** Keys the rule holds state for (at most `maxKeys`). */
  keys: number;
  firing: number;
  /** Keys dropped because the rule held `maxKeys` of them. */
  evicted: number;
  /** Keys dropped after `idle` without a signal. */
  expired: number;
}

/**
 * What every rule kind shares: per-key state in a bounded table, and the Prometheus alert lifecycle on top
 * of the kind's condition (pending for `for`, firing, resolved `keepFiringFor` after the condition clears).
 * A kind decides the condition; this class decides the transitions.
 */
export abstract class RuleEvaluator<S extends AlertState = AlertState> {
  /** The signal kinds this rule reads; the engine routes only those to it. */
  abstract readonly signals: readonly Signal['kind'][];
  readonly name: string;
  readonly kind: Rule['kind'];
  protected readonly table: KeyTable<S>;
  /** Whether an idle key that is firing resolves as stale; kinds that detect silence keep it firing. */
  protected readonly staleResolves: boolean = true;
  private readonly forMs: number;
  private readonly keepFiringForMs: number;
  private readonly idleMs: number;
  private readonly severity: string | undefined;
  private readonly action: ActionType;
  private readonly ladder: ActionType[];
  private readonly staticLabels: Record<string, string>;
  private readonly annotations: Array<[string, (d: TemplateData) => string]>;
  private firing = 0;
  /** This rule's index in its keyer's slots. */
  private readonly slotIndex: number;
  /** Whether the rule keys by its keyer alone (a kind with its own keyOf looks states up in its table). */
  private readonly slotted: boolean;

  constructor(
    rule: Rule,
    protected readonly keyer: Keyer,
  ) {
    this.name = rule.name;
    this.kind = rule.kind;
    this.table = new KeyTable<S>(rule.maxKeys);
    this.forMs = rule.for;
    this.keepFiringForMs = rule.keepFiringFor;
    this.idleMs = rule.idle;
    this.severity = rule.severity;
    this.action = rule.action;
    this.ladder = rule.ladder;
    this.staticLabels = rule.labels;
    this.annotations = Object.entries(rule.annotations).map(([k, text]) => [k, compileTemplate(text)]);
    this.slotIndex = keyer.register();
    this.slotted = this.keyOf === RuleEvaluator.prototype.keyOf;
  }

  /** Feeds one signal of a kind listed in {@link signals}; transitions are pushed to `out`. */
  abstract observe(signal: Signal, out: RuleTransition[]): void;

  /** A new key's state. */
  protected abstract create(key: string, labels: Record<string, string>, signal: Signal): S;

  /** The condition at `now` without a new signal; kinds whose condition moves with time override it. */
  protected refresh(s: S, _now: number): boolean {
    return s.active;
  }

  /** Re-evaluates every key at `now`: timers (`for`, `keepFiringFor`), windows, leases, idle keys. */
  tick(now: number, out: RuleTransition[]): void {
    for (const s of this.table.values()) {
      if (now - s.lastSeen >= this.idleMs && (this.staleResolves || s.phase === INACTIVE)) {
        this.table.delete(s.key);
        this.table.expired++;
        this.dropped(s, now, 'stale', out);
        continue;
      }
      this.evaluate(s, this.refresh(s, now), now, out);
      if (s.phase === INACTIVE && this.disposable(s)) this.table.delete(s.key);
    }
  }

  /** Whether an inactive key holds nothing worth keeping, so tick can drop it before it goes idle. */
  protected disposable(_s: S): boolean {
    return false;
  }

  /**
   * Forgets one key (by its transition key) without a transition: after a remediation step the rule must
   * see fresh evidence to fire again, so the incident can tell "fixed" from "still broken".
   */
  forget(transitionKey: string): boolean {
    for (const s of this.table.values()) {
      if ((s.id ??= this.transitionKey(s)) !== transitionKey) continue;
      if (s.phase === FIRING) this.firing--;
      this.table.delete(s.key);
      return true;
    }
    return false;
  }

  /** Pushes a `firing` transition (as of when it fired) for every firing key. */
  active(out: RuleTransition[]): void {
    for (const s of this.table.values()) if (s.phase === FIRING) out.push(this.transition(s, 'firing', s.firedAt));
  }

  stats(): RuleStats {
    return { rule: this.name, kind: this.kind, keys: this.table.size, firing: this.firing, evicted: this.table.evicted, expired: this.table.expired };
  }

  /** The state of the signal's key, created (evicting another when full) if new; undefined when keyless. */
  protected stateFor(signal: Signal, out: RuleTransition[]): S | undefined {
    let s: S | undefined;
    if (this.slotted) {
      const slot = this.keyer.slot(signal);
      if (slot === undefined) return undefined;
      s = slot.states[this.slotIndex] as S | undefined;
      if (s === undefined || s.dropped) slot.states[this.slotIndex] = s = this.lookup(slot.key, signal, out);
    } else {
      const key = this.keyOf(signal);
      if (key === undefined) return undefined;
      s = this.lookup(key, signal, out);
    }
    s.seen(signal.at);
    return s;
  }

  private lookup(key: string, signal: Signal, out: RuleTransition[]): S {
    let s = this.table.get(key);
    if (s === undefined) {
      s = this.create(key, { ...this.staticLabels, ...this.keyLabels(signal) }, signal);
      const victim = this.table.add(s);
      if (victim) this.dropped(victim, signal.at, 'evicted', out);
    }
    return s;
  }

  /** The signal's key in the table; undefined when the signal is about no key of this rule. */
  protected keyOf(signal: Signal): string | undefined {
    return this.keyer.key(signal);
  }

  /** The labels that identify a key, from its first signal. */
  protected keyLabels(signal: Signal): Record<string, string> {
    return this.keyer.labels(signal);
  }

  /** Moves a key through inactive → pending → firing → resolved given its condition at `now`. */
  protected evaluate(s: S, active: boolean, now: number, out: RuleTransition[]): void {
    s.active = active;
    if (active) {
      s.clearedAt = -1;
      if (s.phase === INACTIVE) {
        s.phase = PENDING;
        s.pendingSince = now;
      }
      if (s.phase === PENDING && now - s.pendingSince >= this.forMs) {
        s.phase = FIRING;
        s.firedAt = now;
        this.firing++;
        out.push(this.transition(s, 'firing', now));
      }
    } else if (s.phase === PENDING) {
      s.phase = INACTIVE;
    } else if (s.phase === FIRING) {
      if (s.clearedAt < 0) s.clearedAt = now;
      if (now - s.clearedAt >= this.keepFiringForMs) this.resolve(s, now, 'condition', out);
    }
  }

  private resolve(s: S, now: number, by: NonNullable<RuleTransition['resolvedBy']>, out: RuleTransition[]): void {
    this.firing--;
    out.push(this.transition(s, 'resolved', now, by));
    s.phase = INACTIVE;
    s.clearedAt = -1;
    s.traceIds = undefined;
  }

  private dropped(s: S, now: number, by: 'stale' | 'evicted', out: RuleTransition[]): void {
    if (s.phase === FIRING) this.resolve(s, now, by, out);
  }

  /** `rule{node="a",task="b"}`: stable per rule and key, so the incident fingerprint can derive from it. */
  protected transitionKey(s: S): string {
    return `${this.name}{${this.keyer.by.map((n) => `${n}=${JSON.stringify(s.labels[n] ?? '')}`).join(',')}}`;
  }

  /** Annotations the key brings before the rule's own (an Alertmanager alert's). */
  protected baseAnnotations(_s: S): Record<string, string> {
    return {};
  }

  private transition(s: S, status: RuleTransition['status'], at: number, resolvedBy?: RuleTransition['resolvedBy']): RuleTransition {
    const value = Number.isFinite(s.value) ? s.value : undefined;
    const annotations = { ...this.baseAnnotations(s) };
    const data: TemplateData = { labels: s.labels, value, rule: this.name };
    for (const [k, render] of this.annotations) annotations[k] = render(data);
    const t: RuleTransition = {
      rule: this.name,
      key: (s.id ??= this.transitionKey(s)),
      status,
      at,
      labels: { ...s.labels },
      annotations,
      severity: this.severity ?? s.labels.severity ?? 'warning',
      action: this.action,
      ladder: [...this.ladder],
    };
    if (value !== undefined) t.value = value;
    if (s.traceIds && s.traceIds.length > 0) t.traceIds = [...s.traceIds];
    if (resolvedBy) t.resolvedBy = resolvedBy;
    return t;
  }
}
