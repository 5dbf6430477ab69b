import { Counter, type Registry } from 'prom-client';
import type { RuleScope } from '../../common/rules/rule-schema.js';
import type { RuleTransition } from '../../common/rules/signals.js';

/** A node's claim on a fault: its incident and the local commands it ran (or is running). */
export interface EdgeClaim {
  node: string;
  task: string | undefined;
  rule: string;
  incidentId: string;
  commandIds: string[];
  /** Corrected to this clock, and as the edge's clock said (a log line's time is the edge's). */
  startedAt: number;
  edgeStartedAt: number;
  resolvedAt?: number;
  edgeResolvedAt?: number;
}

/** Slack around a claim's span: what the node saw and what the backlog shows are the same lines. */
const MARGIN_MS = 10_000;
/** Claims are forgotten this long after their incident resolved. */
const KEEP_MS = 3_600_000;

/**
 * One actor per fault. A node that handled a fault itself claims it (its incident id and local command
 * ids); a rule scoped `both` firing here for the same node, task and rule within the claim's span is
 * fenced: no incident, no command (the engine forgets the key). Because a node's claim travels over MQTT
 * while the lines that make the rule fire here travel over the forward input, a firing of a `both` rule
 * for a node that may run edge rules is held for `graceMs` before it opens an incident, so the claim has
 * time to arrive.
 */
export class EdgeFence {
  private readonly claims = new Map<string, EdgeClaim[]>();
  private held: Array<{ t: RuleTransition; until: number }> = [];
  fenced = 0;

  constructor(
    private readonly graceMs: number,
    private readonly scopeOf: (rule: string) => RuleScope | undefined,
    /** Whether a node runs edge rules: false when known not to, undefined when not known (yet). */
    private readonly runsEdgeRules: (node: string) => boolean | undefined,
    private readonly forget: (rule: string, key: string) => void,
  ) {}

  /** Records (or updates) a node's claim. */
  claim(c: EdgeClaim): void {
    const k = keyOf(c.node, c.task, c.rule);
    const list = (this.claims.get(k) ?? []).filter((x) => x.incidentId !== c.incidentId);
    list.push(c);
    this.claims.set(k, list);
  }

  /** The claim covering a fault of `rule` on `node`/`task` at `at` (either clock), if any. */
  covering(node: string | undefined, task: string | undefined, rule: string, at: number): EdgeClaim | undefined {
    if (!node) return undefined;
    return this.claims.get(keyOf(node, task, rule))?.find((c) => {
      const from = Math.min(c.startedAt, c.edgeStartedAt) - MARGIN_MS;
      const to = c.resolvedAt === undefined ? Infinity : Math.max(c.resolvedAt, c.edgeResolvedAt ?? c.resolvedAt) + MARGIN_MS;
      return at >= from && at <= to;
    });
  }

  /**
   * Filters one run's transitions: fenced firings dropped, `both` firings held, held ones released once
   * their grace is over (and still not claimed), a resolution of a held firing dropped with it.
   */
  filter(transitions: RuleTransition[], now: number): RuleTransition[] {
    const out: RuleTransition[] = [];
    for (const t of transitions) {
      if (this.scopeOf(t.rule) !== 'both') {
        out.push(t);
        continue;
      }
      if (t.status === 'resolved') {
        const before = this.held.length;
        this.held = this.held.filter((h) => h.t.key !== t.key);
        if (this.held.length === before) out.push(t);
        continue;
      }
      if (this.fence(t)) continue;
      if (this.graceMs > 0 && this.runsEdgeRules(t.labels.node ?? '') !== false) this.held.push({ t, until: now + this.graceMs });
      else out.push(t);
    }
    if (this.held.length > 0) {
      const due = this.held.filter((h) => h.until <= now);
      if (due.length > 0) {
        this.held = this.held.filter((h) => h.until > now);
        for (const h of due) if (!this.fence(h.t)) out.push(h.t);
      }
    }
    return out;
  }

  /** Forgets claims long resolved. */
  prune(now: number): void {
    for (const [k, list] of this.claims) {
      const kept = list.filter((c) => c.resolvedAt === undefined || c.resolvedAt > now - KEEP_MS);
      if (kept.length === 0) this.claims.delete(k);
      else this.claims.set(k, kept);
    }
  }

  private fence(t: RuleTransition): boolean {
    if (!this.covering(t.labels.node, t.labels.task, t.rule, t.at)) return false;
    this.forget(t.rule, t.key);
    this.fenced++;
    return true;
  }
}

function keyOf(node: string, task: string | undefined, rule: string): string {
  return `${node}\u0000${task ?? ''}\u0000${rule}`;
}

/** `edgewatch_collector_edge_fenced_total`: firings here that a node's claim fenced (read at scrape time). */
export function fenceMetrics(registry: Registry, fence: EdgeFence): void {
  let last = 0;
  new Counter({
    name: 'edgewatch_collector_edge_fenced_total',
    help: 'Rule firings here (scope both) fenced by a node that had handled the same fault itself: no incident, no command.',
    registers: [registry],
    collect() {
      if (fence.fenced > last) this.inc(fence.fenced - last);
      last = fence.fenced;
    },
  });
}
