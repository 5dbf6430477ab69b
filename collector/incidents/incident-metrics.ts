import { Counter, Gauge, type Registry } from 'prom-client';
import type { Incident } from './incident.js';

/** Incident metrics: unresolved incidents by status (read at scrape time) and incidents ended, by outcome. */
export class IncidentMetrics {
  static readonly names = ['edgewatch_collector_incidents', 'edgewatch_collector_incidents_total', 'edgewatch_collector_incidents_suppressed_total'];
  private readonly total: Counter<'rule' | 'outcome'>;
  private readonly suppressedTotal: Counter<'rule'>;

  constructor(registry: Registry, unresolved: () => Iterable<Incident>) {
    new Gauge({
      name: 'edgewatch_collector_incidents',
      help: 'Unresolved incidents by status (firing, remediating, escalated).',
      labelNames: ['status'],
      registers: [registry],
      collect() {
        const counts: Record<string, number> = { firing: 0, remediating: 0, escalated: 0 };
        for (const i of unresolved()) counts[i.status] = (counts[i.status] ?? 0) + 1;
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      },
    });
    this.suppressedTotal = new Counter({ name: 'edgewatch_collector_incidents_suppressed_total', help: 'Incidents not opened because new ones exceeded remediation.maxNewIncidentsPerMinute, by rule.', labelNames: ['rule'], registers: [registry] });
    this.total = new Counter({ name: 'edgewatch_collector_incidents_total', help: 'Incidents ended, by rule and outcome (resolved, escalated).', labelNames: ['rule', 'outcome'], registers: [registry] });
  }

  suppressed(rule: string): void {
    this.suppressedTotal.inc({ rule });
  }

  ended(rule: string, outcome: 'resolved' | 'escalated'): void {
    this.total.inc({ rule, outcome });
  }
}
