import type { KeyObject } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import { parse } from 'yaml';
import type { Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import type { Heartbeat } from '../../protocol/telemetry.js';
import { ruleSetDigest, signRuleSet, type RuleSet } from '../../protocol/rule-set.js';
import { topics } from '../../protocol/topics.js';
import type { NodeRegistry } from '../control/node-registry.js';
import type { StateHandle } from '../state/sql-database.js';

/** A node that still reports an older set is sent the current one again at most this often. */
const RESEND_MS = 30_000;

/** The rules of a rule file's text whose `scope` is `edge` or `both`, as written (the file is already validated). */
export function edgeRulesOf(text: string): Record<string, unknown>[] {
  const raw = parse(text) as { rules?: unknown } | null;
  const rules = Array.isArray(raw?.rules) ? (raw.rules as Record<string, unknown>[]) : [];
  return rules.filter((r) => r.scope === 'edge' || r.scope === 'both');
}

/**
 * The edge rule set: the rule file's edge-scoped rules, versioned in the state DB (the version grows
 * whenever the rules change, and never goes back, so a node can refuse an older set), signed with the
 * command key, and published retained on `edgewatch/<node>/rules` to every node whose heartbeat reports
 * another version. Nodes that pin a local file (`source: pinned`) or run no edge rules are left alone.
 */
export class EdgeRuleSets {
  private currentSet: RuleSet;
  private readonly sent = new Map<string, number>();

  constructor(
    private readonly state: StateHandle,
    ruleFileText: string,
    private readonly key: { privateKey: KeyObject; keyId: string },
    private readonly bus: MessageBus,
    private readonly logger: Logger,
    now: number,
  ) {
    const rules = edgeRulesOf(ruleFileText);
    const digest = ruleSetDigest(rules);
    const { version, issuedAt } = versionOf(state, digest, now);
    this.currentSet = signRuleSet({ version, issuedAt, digest, rules }, key);
  }

  /** The signed set distributed now. */
  get current(): RuleSet {
    return this.currentSet;
  }

  /** A node's heartbeat: sends it the current set unless it runs it (or pins its own). */
  offer(node: string, reported: Heartbeat['rules'], now: number): void {
    if (!reported || reported.source === 'pinned') return;
    // a node ahead of us (this state DB was reset or restored): number past it, or it refuses the set as older
    if (reported.source === 'cloud' && reported.version > this.currentSet.version && reported.version < this.currentSet.version + 1_000_000) this.renumber(reported.version + 1, now);
    if (reported.version === this.current.version && reported.digest === this.current.digest) return;
    if ((this.sent.get(node) ?? -Infinity) > now - RESEND_MS) return;
    this.sent.set(node, now);
    this.bus
      .publish(topics.rules(node), JSON.stringify(this.current), { qos: 1, retain: true })
      .then(() => this.logger.info('edge rule set sent', { node, version: this.current.version, had: reported.version }))
      .catch((err) => this.logger.warn('edge rule set publish failed', { node, err }));
  }

  /** `edgewatch_collector_edge_rule_set_version` and the version each node reports. */
  metrics(registry: Registry, nodes: NodeRegistry): void {
    const sets = () => this.currentSet;
    new Gauge({
      name: 'edgewatch_collector_edge_rule_set_version',
      help: 'Version of the edge rule set the collector distributes (grows with every change to the edge-scoped rules).',
      registers: [registry],
      collect() {
        this.set(sets().version);
      },
    });
    new Gauge({
      name: 'edgewatch_collector_node_rule_set_version',
      help: 'Version of the edge rule set each node reports in its heartbeat, by source (cloud or pinned).',
      labelNames: ['node', 'source'],
      registers: [registry],
      collect() {
        this.reset();
        for (const n of nodes.list()) if (n.ruleSet) this.set({ node: n.node, source: n.ruleSet.source }, n.ruleSet.version);
      },
    });
  }

  private renumber(version: number, now: number): void {
    const { rules, digest } = this.currentSet;
    this.state.db.prepare('INSERT INTO edge_rule_sets (version, digest, issued_ms) VALUES (?, ?, ?) ON CONFLICT(version) DO UPDATE SET digest = excluded.digest, issued_ms = excluded.issued_ms').run(version, digest, now);
    this.currentSet = signRuleSet({ version, issuedAt: now, digest, rules }, this.key);
    this.sent.clear();
    this.logger.warn('a node runs a newer edge rule set version than this collector had: renumbered past it', { version });
  }
}

/** The version of these rules: the newest row when it has this digest, else a new row one higher. */
function versionOf(state: StateHandle, digest: string, now: number): { version: number; issuedAt: number } {
  const db = state.db;
  const latest = db.prepare('SELECT version, digest, issued_ms FROM edge_rule_sets ORDER BY version DESC LIMIT 1').get() as { version: number; digest: string; issued_ms: number } | undefined;
  if (latest?.digest === digest) return { version: latest.version, issuedAt: latest.issued_ms };
  const version = (latest?.version ?? 0) + 1;
  db.prepare('INSERT INTO edge_rule_sets (version, digest, issued_ms) VALUES (?, ?, ?)').run(version, digest, now);
  return { version, issuedAt: now };
}
