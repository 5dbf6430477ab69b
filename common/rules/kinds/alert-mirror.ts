import { AlertState } from '../alert-state.js';
import type { Keyer } from '../keyer.js';
import { AlertMatcher } from '../matchers.js';
import type { RuleOf } from '../rule-schema.js';
import { RuleEvaluator } from '../rule-evaluator.js';
import type { RuleTransition, Signal } from '../signals.js';

class MirrorState extends AlertState {
  /** The alert's latest annotations; the rule's own annotations are laid over them. */
  annotations: Record<string, string> = {};
}

function sortedLabels(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',');
}

/**
 * `kind: alert`: mirrors Alertmanager alerts (POST /api/alertmanager) that match `match:` into
 * transitions, so Prometheus alerts reach the same incidents and remediation as the collector's own rules.
 * Without `by:` each alert is its own key (its fingerprint) and keeps all its labels.
 */
export class AlertMirrorRule extends RuleEvaluator<MirrorState> {
  readonly signals = ['alert', 'value'] as const;
  protected override readonly staleResolves = false;
  private readonly match: AlertMatcher;
  private readonly perAlert: boolean;

  constructor(rule: RuleOf<'alert'>, keyer: Keyer) {
    super(rule, keyer);
    this.match = new AlertMatcher(rule.match);
    this.perAlert = rule.by.length === 0;
  }

  observe(signal: Signal, out: RuleTransition[]): void {
    let firing: boolean;
    if (signal.kind === 'alert') {
      if (!this.match.alert(signal)) return;
      firing = signal.status === 'firing';
    } else if (signal.kind === 'value') {
      if (!this.match.value(signal)) return;
      firing = signal.value !== 0;
    } else return;
    const key = this.keyOf(signal);
    // A resolution for an alert never seen firing changes nothing.
    if (key === undefined || (!firing && this.table.get(key) === undefined)) return;
    const s = this.stateFor(signal, out);
    if (s === undefined) return;
    if (signal.kind === 'alert') s.annotations = signal.annotations;
    else s.value = signal.value;
    this.evaluate(s, firing, signal.at, out);
  }

  protected override keyOf(signal: Signal): string | undefined {
    if (!this.perAlert) return this.keyer.key(signal);
    if (signal.kind === 'alert') return signal.fingerprint || sortedLabels(signal.labels);
    if (signal.kind === 'value') return signal.labels ? sortedLabels(signal.labels) : '';
    return undefined;
  }

  protected override keyLabels(signal: Signal): Record<string, string> {
    if (!this.perAlert) return this.keyer.labels(signal);
    return signal.kind === 'alert' || signal.kind === 'value' ? { ...signal.labels } : {};
  }

  protected override transitionKey(s: MirrorState): string {
    return this.perAlert ? `${this.name}{${sortedLabels(s.labels)}}` : super.transitionKey(s);
  }

  protected override baseAnnotations(s: MirrorState): Record<string, string> {
    return s.annotations;
  }

  protected create(key: string, labels: Record<string, string>, signal: Signal): MirrorState {
    return new MirrorState(key, labels, signal.at);
  }
}
