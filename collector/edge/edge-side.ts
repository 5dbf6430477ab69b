import type { KeyObject } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import type { Rule } from '../../common/rules/rule-schema.js';
import type { NodeRegistry } from '../control/node-registry.js';
import type { IncidentBook } from '../incidents/incident-book.js';
import type { IncidentStore } from '../incidents/incident-store.js';
import type { AlertStateInput } from '../notify/alert-state.js';
import type { StateHandle } from '../state/sql-database.js';
import { EdgeFence, fenceMetrics } from './edge-fence.js';
import { EdgeReports } from './edge-reports.js';
import { EdgeRuleSets } from './edge-rule-sets.js';

/** What the collector's side of edge autonomy is built from. */
export interface EdgeSideDeps {
  rules: readonly Rule[];
  /** The rule file's text: the edge rule set is its edge-scoped rules as written. */
  ruleFileText: string;
  claimGraceMs: number;
  nodes: NodeRegistry;
  state: StateHandle;
  key: { privateKey: KeyObject; keyId: string };
  bus: MessageBus;
  store: IncidentStore;
  book: IncidentBook;
  notify(alerts: AlertStateInput[]): void;
  forgetRule(rule: string, key: string): void;
  randomHex(bytes: number): string;
  registry: Registry;
  logger: Logger;
  now: number;
}

/**
 * The collector's side of edge autonomy (docs/edge-autonomy.md): the claim fence (one actor per fault),
 * the nodes' incident reports, and the signed edge rule set, with their metrics.
 */
export function createEdgeSide(d: EdgeSideDeps) {
  const scopes = new Map(d.rules.map((rule) => [rule.name, rule.scope]));
  const fence = new EdgeFence(
    d.claimGraceMs,
    (rule) => scopes.get(rule),
    (node) => {
      const n = d.nodes.get(node);
      if (n?.lastHeartbeatMs === undefined) return undefined; // not heard from since this collector started
      return n.ruleSet !== undefined && n.ruleSet.source !== 'none';
    },
    d.forgetRule,
  );
  fenceMetrics(d.registry, fence);
  const ruleSets = new EdgeRuleSets(d.state, d.ruleFileText, d.key, d.bus, d.logger.child({ component: 'control' }), d.now);
  ruleSets.metrics(d.registry, d.nodes);
  const reports = new EdgeReports({ store: d.store, book: d.book, fence, nodes: d.nodes, notify: d.notify, newTraceId: () => d.randomHex(16), registry: d.registry, logger: d.logger });
  return {
    fence,
    ruleSets,
    reports,
    /** Claims long resolved are forgotten; late notifications go out. */
    tick(now: number): void {
      fence.prune(now);
      reports.tick(now);
    },
  };
}
