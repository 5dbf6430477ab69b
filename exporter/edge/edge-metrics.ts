import { Counter, Gauge, type Registry } from 'prom-client';
import type { RuleSetInfo } from './edge-rules.js';

/**
 * The edge rules' metrics: local actions by type and result, local incidents open, the rule set the node
 * runs (its version, so Prometheus can alert on a node left on stale rules), pushed sets by outcome, and
 * whether the link to the collector is up.
 */
export class EdgeMetrics {
  static readonly names = [
    'edgewatch_exporter_local_actions_total',
    'edgewatch_exporter_local_incidents_open',
    'edgewatch_exporter_rule_set_version',
    'edgewatch_exporter_rule_sets_received_total',
    'edgewatch_exporter_cloud_link_up',
  ];
  private readonly actions: Counter<'node' | 'action' | 'result'>;
  private readonly received: Counter<'node' | 'result'>;

  constructor(
    registry: Registry,
    private readonly node: string,
    sources: { open(): number; ruleSet(): RuleSetInfo; linkUp(): boolean },
  ) {
    const registers = [registry];
    this.actions = new Counter({ name: 'edgewatch_exporter_local_actions_total', help: 'Actions the node took (or withheld) on its own for edge rules, by action (restart, rollback) and result.', labelNames: ['node', 'action', 'result'], registers });
    for (const action of ['restart', 'rollback']) this.actions.labels({ node, action, result: 'done' });
    new Gauge({
      name: 'edgewatch_exporter_local_incidents_open',
      help: 'Incidents the node is handling on its own now (edge rules).',
      labelNames: ['node'],
      registers,
      collect() {
        this.set({ node }, sources.open());
      },
    });
    new Gauge({
      name: 'edgewatch_exporter_rule_set_version',
      help: 'Version of the edge rule set the node runs; source is cloud (pushed and verified), pinned (rules.file) or none.',
      labelNames: ['node', 'source'],
      registers,
      collect() {
        const info = sources.ruleSet();
        this.reset();
        this.set({ node, source: info.source }, info.version);
      },
    });
    this.received = new Counter({ name: 'edgewatch_exporter_rule_sets_received_total', help: 'Rule sets pushed by the collector, by result: accepted, or why refused.', labelNames: ['node', 'result'], registers });
    new Gauge({
      name: 'edgewatch_exporter_cloud_link_up',
      help: '1 while the collector is reachable (broker connected and the collector present): edge rules scoped both act only while it is 0.',
      labelNames: ['node'],
      registers,
      collect() {
        this.set({ node }, sources.linkUp() ? 1 : 0);
      },
    });
  }

  action(action: string, result: string): void {
    this.actions.inc({ node: this.node, action, result });
  }

  ruleSet(result: string): void {
    this.received.inc({ node: this.node, result });
  }
}
