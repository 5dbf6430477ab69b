import { RuleEngine, type RuleEngineOptions } from '../../../common/rules/rule-engine.js';
import { loadRules } from '../../../common/rules/rule-file.js';
import type { AlertSignal, HeartbeatSignal, LogSignal, RestartSignal, RuleTransition, Signal, ValueSignal } from '../../../common/rules/signals.js';

/** The instant "0s" of every timeline. */
export const T0 = Date.UTC(2026, 0, 1);

/** A signal without its time: the timeline stamps it. */
export type Unstamped = Signal extends infer S ? (S extends Signal ? Omit<S, 'at'> : never) : never;

/** A request log line of task `api` on node `edge-1` (override any field). */
export function req(status: number, extra: Partial<Omit<LogSignal, 'kind' | 'at'>> = {}): Omit<LogSignal, 'at'> {
  return { kind: 'log', node: 'edge-1', task: 'api', level: status >= 500 ? 'error' : 'info', msg: 'GET /items', status, duration_ms: 20, ...extra };
}

/** A log line without a status. */
export function line(msg: string, extra: Partial<Omit<LogSignal, 'kind' | 'at'>> = {}): Omit<LogSignal, 'at'> {
  return { kind: 'log', node: 'edge-1', task: 'api', level: 'info', msg, ...extra };
}

/** A request that took `ms`. */
export function took(ms: number, extra: Partial<Omit<LogSignal, 'kind' | 'at'>> = {}): Omit<LogSignal, 'at'> {
  return req(200, { duration_ms: ms, ...extra });
}

export function heartbeat(node = 'edge-1'): Omit<HeartbeatSignal, 'at'> {
  return { kind: 'heartbeat', node };
}

export function restart(reason: RestartSignal['reason'] = 'Error', task = 'api', node = 'edge-1'): Omit<RestartSignal, 'at'> {
  return { kind: 'restart', node, task, reason };
}

export function alert(status: 'firing' | 'resolved', labels: Record<string, string>, annotations: Record<string, string> = {}): Omit<AlertSignal, 'at'> {
  return { kind: 'alert', status, labels, annotations, fingerprint: Object.values(labels).join('/'), startsAt: T0 };
}

export function value(v: number, labels?: Record<string, string>): Omit<ValueSignal, 'at'> {
  return labels ? { kind: 'value', value: v, labels } : { kind: 'value', value: v };
}

function seconds(ms: number): string {
  return `${Number(((ms - T0) / 1000).toFixed(3))}s`;
}

/** `12s firing latency node=edge-1 task=api` : the line a timeline records per transition. */
export function describeTransition(t: RuleTransition): string {
  const labels = Object.entries(t.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  return `${seconds(t.at)} ${t.status} ${t.rule}${labels ? ` ${labels}` : ''}`;
}

/**
 * A rule test written as a timeline, after Alertmanager's acceptance tests: `at(1, signal)` observes at
 * 1 s, `tick(2)` advances the engine to 2 s, and `take()` returns the transitions since the last take.
 */
export class Timeline {
  readonly engine: RuleEngine;
  private seen: RuleTransition[] = [];

  constructor(rulesYaml: string, options?: RuleEngineOptions) {
    this.engine = new RuleEngine(loadRules(rulesYaml), options);
  }

  /** Observes the signals at `sec` seconds. */
  at(sec: number, ...signals: Unstamped[]): this {
    for (const s of signals) this.seen.push(...this.engine.observe({ ...s, at: T0 + sec * 1000 } as Signal));
    return this;
  }

  /** Observes `signal` every `stepSec` from `fromSec` up to and including `toSec`, ticking at each step. */
  every(fromSec: number, toSec: number, stepSec: number, signal: Unstamped | ((sec: number) => Unstamped)): this {
    for (let sec = fromSec; sec <= toSec + 1e-9; sec += stepSec) {
      this.at(sec, typeof signal === 'function' ? signal(sec) : signal).tick(sec);
    }
    return this;
  }

  /** Ticks at `sec` seconds. */
  tick(sec: number): this {
    this.seen.push(...this.engine.tick(T0 + sec * 1000));
    return this;
  }

  /** Ticks every `stepSec` from `fromSec` up to and including `toSec`. */
  ticks(fromSec: number, toSec: number, stepSec = 1): this {
    for (let sec = fromSec; sec <= toSec + 1e-9; sec += stepSec) this.tick(sec);
    return this;
  }

  /** The transitions recorded since the last call, as {@link describeTransition} lines. */
  take(): string[] {
    return this.takeRaw().map(describeTransition);
  }

  /** The transitions recorded since the last call, as they are. */
  takeRaw(): RuleTransition[] {
    const out = this.seen;
    this.seen = [];
    return out;
  }

  /** The second at which `rule` last went to firing among the transitions not yet taken. */
  firedAt(rule: string): number | undefined {
    const t = [...this.seen].reverse().find((x) => x.rule === rule && x.status === 'firing');
    return t === undefined ? undefined : (t.at - T0) / 1000;
  }
}
