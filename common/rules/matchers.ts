import type { AttrTest, LogMatchSpec, NumberTest } from './match-schema.js';
import type { AlertSignal, LogSignal, Signal, ValueSignal } from './signals.js';

function inList(list: string[] | undefined, value: string | undefined): boolean {
  return list === undefined || (value !== undefined && list.includes(value));
}

function attrOf(e: LogSignal, name: string): unknown {
  return e.attrs === undefined ? undefined : e.attrs[name];
}

/**
 * What a log rule makes of a signal: a `match`; a `miss` about what the rule watches (it resets a
 * streak); or `other`, a signal the rule has nothing to say about.
 */
export type MatchVerdict = 'match' | 'miss' | 'other';

/**
 * A compiled `match:` of a log rule. Tests run cheapest first and return at the first miss, so the common
 * non-matching event costs a field read or two and allocates nothing.
 */
export class LogMatcher {
  private readonly status: NumberTest | undefined;
  private readonly duration: NumberTest | undefined;
  private readonly levels: string[] | undefined;
  private readonly msg: RegExp | undefined;
  private readonly node: string[] | undefined;
  private readonly task: string[] | undefined;
  private readonly service: string[] | undefined;
  private readonly attrs: AttrTest[];
  /** Numeric tests a bare value is held against (backtest rows, value signals). */
  private readonly numeric: NumberTest[];

  constructor(spec: LogMatchSpec | undefined) {
    this.status = spec?.status;
    this.duration = spec?.duration_ms;
    this.levels = spec?.level;
    this.msg = spec?.msg;
    this.node = spec?.node;
    this.task = spec?.task;
    this.service = spec?.service;
    this.attrs = spec?.attrs ?? [];
    this.numeric = [this.status, this.duration, ...this.attrs.map((a) => a.numeric)].filter((t): t is NumberTest => t !== undefined);
  }

  /**
   * The matching step every log rule kind shares (pattern, count, consecutive): log signals are held
   * against every matcher, value signals against the numeric ones. A log event that misses counts as a
   * `miss` only within the rule's node/task/service scope and, with `reset: fields`, only when it carries
   * the fields the matchers read (a line without a status does not break a run of 5xx).
   */
  verdict(signal: Signal, missOn: 'any' | 'fields' = 'fields'): MatchVerdict {
    if (signal.kind === 'log') {
      if (this.log(signal)) return 'match';
      return this.inScope(signal) && (missOn === 'any' || this.carries(signal)) ? 'miss' : 'other';
    }
    if (signal.kind === 'value') return this.value(signal) ? 'match' : 'miss';
    return 'other';
  }

  /** Whether a log event matches every matcher. */
  log(e: LogSignal): boolean {
    if (this.status !== undefined && (e.status === undefined || !this.status.test(e.status))) return false;
    if (this.duration !== undefined && (e.duration_ms === undefined || !this.duration.test(e.duration_ms))) return false;
    if (this.levels !== undefined && !this.levels.includes(e.level)) return false;
    if (!inList(this.node, e.node) || !inList(this.task, e.task) || !inList(this.service, e.service)) return false;
    for (const a of this.attrs) if (!a.test(attrOf(e, a.name))) return false;
    if (this.msg !== undefined && !this.msg.test(e.msg)) return false;
    return true;
  }

  /**
   * Whether a bare value matches: the numeric matchers (status, duration_ms, numeric attrs) are held against
   * the value; a rule without numeric matchers reads it as an indicator (non-zero = a matching event).
   */
  value(v: ValueSignal): boolean {
    if (!this.valueInScope(v)) return false;
    if (this.numeric.length === 0) return v.value !== 0;
    for (const t of this.numeric) if (!t.test(v.value)) return false;
    return true;
  }

  /** Whether an event is about what the rule watches: its node, task and service matchers hold. */
  inScope(e: LogSignal): boolean {
    return inList(this.node, e.node) && inList(this.task, e.task) && inList(this.service, e.service);
  }

  /** Whether a value signal's labels are within the rule's node, task and service matchers. */
  valueInScope(v: ValueSignal): boolean {
    const labels = v.labels;
    return inList(this.node, labels?.node) && inList(this.task, labels?.task) && inList(this.service, labels?.service);
  }

  /** Whether a log event carries every field the numeric and attribute matchers read (`reset: fields`). */
  carries(e: LogSignal): boolean {
    if (this.status !== undefined && e.status === undefined) return false;
    if (this.duration !== undefined && e.duration_ms === undefined) return false;
    for (const a of this.attrs) if (attrOf(e, a.name) === undefined) return false;
    return true;
  }
}

/** Reads the number a baseline rule watches (`field:`) from a log event; undefined when absent. */
export function fieldReader(field: string): (e: LogSignal) => number | undefined {
  if (field === 'duration_ms') return (e) => e.duration_ms;
  if (field === 'status') return (e) => e.status;
  const name = field.slice('attrs.'.length);
  return (e) => {
    const v = attrOf(e, name);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : Number.NaN;
    return Number.isFinite(n) ? n : undefined;
  };
}

/** A compiled `match:` of an alert rule: every named label must have one of its values. */
export class AlertMatcher {
  constructor(private readonly labels: ReadonlyArray<{ name: string; values: string[] }>) {}

  /** Whether an Alertmanager alert matches. */
  alert(a: AlertSignal): boolean {
    return this.labelsMatch(a.labels);
  }

  /** Whether a value signal's labels match (missing labels do not fail, so a bare backtest row matches). */
  value(v: ValueSignal): boolean {
    if (v.labels === undefined) return true;
    for (const m of this.labels) {
      const got = v.labels[m.name];
      if (got !== undefined && !m.values.includes(got)) return false;
    }
    return true;
  }

  private labelsMatch(labels: Record<string, string>): boolean {
    for (const m of this.labels) {
      const got = labels[m.name];
      if (got === undefined || !m.values.includes(got)) return false;
    }
    return true;
  }
}
