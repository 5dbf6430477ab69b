import { fillLogSignal } from '../../common/rules/log-signal.js';
import { RuleEngine } from '../../common/rules/rule-engine.js';
import type { Rule, RuleScope } from '../../common/rules/rule-schema.js';
import type { LogSignal, RuleTransition, Signal } from '../../common/rules/signals.js';
import type { EdgeLog } from '../../protocol/edge-incident.js';
import type { RestartReason, TaskState } from '../../protocol/task-states.js';
import type { LineTap } from '../logs/pipeline.js';
import type { ParsedLine } from '../logs/parser.js';
import type { TaskObserver } from '../supervisor/observer.js';

/** Where the node's rules come from: pushed by the collector (verified), a pinned file, or nowhere yet. */
export type RuleSource = 'cloud' | 'pinned' | 'none';

/** The rule set a node runs, as its heartbeat and metrics report it. */
export interface RuleSetInfo {
  version: number;
  digest: string;
  source: RuleSource;
}

/** Log lines kept per task as an incident's evidence. */
const EVIDENCE_LINES = 20;
/** Only lines that say something went wrong are kept: a copy of every line would outlive the young generation. */
const EVIDENCE_LEVELS = new Set(['warn', 'error', 'fatal']);
/** A signal this much older than the engine's clock is not evaluated (edge lines are live, not a backlog). */
const MAX_LATE_MS = 60_000;

/**
 * The rule engine on the node: the same engine as the collector's, over the node's own parsed lines and
 * task events, with the rules whose `scope` is `edge` or `both`. Transitions go to `onTransitions`.
 * Swapping in a new rule set starts the engine afresh (its keys hold only recent history).
 */
export class EdgeRules {
  private engine: RuleEngine | undefined;
  private scopes = new Map<string, RuleScope>();
  private current: RuleSetInfo = { version: 0, digest: '', source: 'none' };
  private readonly recent = new Map<string, EdgeLog[]>();
  private readonly signal: LogSignal = { kind: 'log', at: 0, level: 'info', msg: '' };
  private readonly where: { node: string; task: string | undefined };

  constructor(
    private readonly node: string,
    private readonly onTransitions: (t: RuleTransition[], now: number) => void,
    private readonly restarts: (task: string) => number,
  ) {
    this.where = { node, task: undefined };
  }

  /** Runs these rules from now on (those scoped `cloud` are left out). */
  use(rules: readonly Rule[], info: RuleSetInfo): void {
    const edge = rules.filter((r) => r.scope !== 'cloud');
    this.engine = edge.length > 0 ? new RuleEngine(edge, { maxLateMs: MAX_LATE_MS }) : undefined;
    this.scopes = new Map(edge.map((r) => [r.name, r.scope]));
    this.current = info;
  }

  get info(): RuleSetInfo {
    return this.current;
  }

  get ruleNames(): string[] {
    return this.engine?.ruleNames ?? [];
  }

  scopeOf(rule: string): RuleScope | undefined {
    return this.scopes.get(rule);
  }

  forget(rule: string, key: string): void {
    this.engine?.forget(rule, key);
  }

  /** Every key firing now. */
  active(): RuleTransition[] {
    return this.engine?.active() ?? [];
  }

  /** Advances leases, `for:` and windows; the composition root calls it about once a second. */
  tick(now: number): void {
    if (!this.engine) return;
    const out = this.engine.tick(now);
    if (out.length > 0) this.onTransitions(out, now);
  }

  /** The task's last warning and error lines (level warn and above, or an HTTP status >= 400), oldest first. */
  recentLogs(task: string): EdgeLog[] {
    return [...(this.recent.get(task) ?? [])];
  }

  /** The tap the log pipeline calls for every parsed line. */
  tap(): LineTap {
    return {
      line: (task, at, p) => {
        if (!this.engine) return;
        this.remember(task, at, p);
        this.where.task = task;
        const out = this.engine.observe(fillLogSignal(this.signal, at, this.where, p));
        if (out.length > 0) this.onTransitions([...out], at);
      },
    };
  }

  /** Task events as signals: restarts (crash loops) and states (absence of a running task). */
  observer(now: () => number): TaskObserver {
    const feed = (signal: Signal) => {
      const out = this.engine?.observe(signal);
      if (out && out.length > 0) this.onTransitions([...out], signal.at);
    };
    return {
      restarted: (task: string, reason: RestartReason) => feed({ kind: 'restart', at: now(), node: this.node, task, reason }),
      stateChanged: (task: string, state: TaskState, version: string) => {
        if (this.engine) feed({ kind: 'task', at: now(), node: this.node, task, state, version, restarts: this.restarts(task) });
      },
      removed: (task: string) => void this.recent.delete(task),
    };
  }

  private remember(task: string, at: number, p: ParsedLine): void {
    if (!EVIDENCE_LEVELS.has(p.level) && !(p.status !== undefined && p.status >= 400)) return;
    let lines = this.recent.get(task);
    if (!lines) this.recent.set(task, (lines = []));
    if (lines.length === EVIDENCE_LINES) lines.shift();
    const l: EdgeLog = { ts: Math.round(at), level: p.level, msg: p.msg.slice(0, 2048) };
    if (p.status !== undefined) l.status = p.status;
    if (p.duration_ms !== undefined) l.duration_ms = p.duration_ms;
    if (p.trace_id) l.trace_id = p.trace_id;
    lines.push(l);
  }
}
