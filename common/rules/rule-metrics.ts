import { Counter, Gauge, type Registry } from 'prom-client';
import type { RuleEngine } from './rule-engine.js';

/**
 * Rule-engine metrics, read from its stats at scrape time: keys held and firing per rule, and signals
 * too late to evaluate. `prefix` names the process (`edgewatch_collector`).
 */
export class RuleMetrics {
  constructor(registry: Registry, engine: RuleEngine, prefix: string) {
    const registers = [registry];
    new Gauge({
      name: `${prefix}_rule_keys`,
      help: 'Keys (node/task combinations) a rule holds state for; bounded by its maxKeys.',
      labelNames: ['rule'],
      registers,
      collect() {
        for (const s of engine.stats().rules) this.set({ rule: s.rule }, s.keys);
      },
    });
    new Gauge({
      name: `${prefix}_rule_firing`,
      help: 'Keys a rule is firing for now.',
      labelNames: ['rule'],
      registers,
      collect() {
        for (const s of engine.stats().rules) this.set({ rule: s.rule }, s.firing);
      },
    });
    let lastLate = 0;
    new Counter({
      name: `${prefix}_rule_late_signals_total`,
      help: 'Signals older than 5 minutes when they arrived (an edge backlog after an outage), not evaluated.',
      registers,
      collect() {
        const late = engine.stats().late;
        if (late > lastLate) this.inc(late - lastLate);
        lastLate = late;
      },
    });
  }
}
