import { Counter, Gauge, type Registry } from 'prom-client';
import { ACTION_RESULTS } from '../incidents/incident.js';

const ACTIONS = ['restart', 'rollback', 'migrate', 'release', 'page'] as const;

/** Remediation metrics: actions by type and result, and the circuit breaker. */
export class RemediationMetrics {
  static readonly names = ['edgewatch_collector_remediation_actions_total', 'edgewatch_collector_breaker_open'];
  private readonly actions: Counter<'action' | 'result'>;
  private readonly breaker: Gauge;

  constructor(registry: Registry) {
    const registers = [registry];
    this.actions = new Counter({
      name: 'edgewatch_collector_remediation_actions_total',
      help: 'Remediation steps by action (restart, rollback, migrate, release, page) and result (done, failed, rejected, timeout, dry_run, cooldown, rate_limited, breaker_open, no_target).',
      labelNames: ['action', 'result'],
      registers,
    });
    for (const action of ACTIONS) for (const result of ACTION_RESULTS) if (result !== 'pending') this.actions.inc({ action, result }, 0);
    this.breaker = new Gauge({ name: 'edgewatch_collector_breaker_open', help: '1 while the remediation circuit breaker is open (too much of the fleet affected at once: no automatic action).', registers });
    this.breaker.set(0);
  }

  action(action: string, result: string): void {
    this.actions.inc({ action, result });
  }

  breakerOpen(open: boolean): void {
    this.breaker.set(open ? 1 : 0);
  }
}
