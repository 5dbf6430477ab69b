import type { Logger } from '../../common/logger.js';
import type { Guardrails } from '../../common/remediation/guardrails.js';
import type { RuleScope } from '../../common/rules/rule-schema.js';
import type { RuleTransition } from '../../common/rules/signals.js';
import type { EdgeAction, EdgeLog } from '../../protocol/edge-incident.js';
import type { IncidentJournal, LocalIncident } from './incident-journal.js';

/** What the local ladder does to the node, behind one interface (tests use fakes). */
export interface EdgePorts {
  /** Restarts the task, or rolls it back to its previous version; resolves with the version it runs. */
  act(type: 'restart' | 'rollback', task: string): Promise<{ version?: string }>;
  taskRunning(task: string): boolean;
  /** How many tasks the node supervises (the breaker's "fleet"). */
  taskCount(): number;
  /** Whether the collector is reachable (broker connected and the collector's presence `online`). */
  linkUp(): boolean;
  /** A command from the cloud for this task that is running or ran within `withinMs`: its id and type. */
  cloudCommand(task: string, withinMs: number): { id: string; type: string } | undefined;
  forgetRule(rule: string, key: string): void;
  /** The task's last log lines, for evidence. */
  recentLogs(task: string): EdgeLog[];
  newId(): string;
  /** Told of every change, so the shipper sends it while the link is up. */
  changed(): void;
}

/** The local part of the ladder: what a node can do on its own. Migration and paging need the cloud. */
const LOCAL_STEPS = new Set(['restart', 'rollback']);
/** A cloud command this recent for the same task wins over a local action. */
const CLOUD_WINS_MS = 60_000;

/**
 * The edge's remediation: a rule that fires on the node (edge-first rules always, `both` rules while the
 * link is down) opens a local incident and climbs the local ladder (restart, then rollback) through the
 * shared guardrails; after a step the rule forgets its key and must stay clear, and the task run, for
 * `verifyMs`. It never migrates or pages: when the local ladder is exhausted the incident is escalated for
 * the cloud to see. Every change is journaled durably and shipped when the link is up.
 */
export class EdgeRemediator {
  constructor(
    private readonly journal: IncidentJournal,
    private readonly guard: Guardrails,
    private readonly ports: EdgePorts,
    private readonly options: { node: string; verifyMs: number; scopeOf(rule: string): RuleScope | undefined; now(): number },
    private readonly metrics: { action(type: string, result: string): void },
    private readonly logger: Logger,
  ) {}

  /** After a restart of the exporter: a step that was under way is verified afresh. */
  resume(now: number): void {
    for (const i of this.journal.open()) {
      if (i.status !== 'remediating' || i.verifyUntil !== undefined) continue;
      for (const a of i.actions) if (a.result === 'pending') a.reason = 'the exporter restarted before the step finished';
      i.ruleFiring = false;
      i.verifyUntil = now + this.options.verifyMs;
      this.save(i, now, 'the exporter restarted: verifying the last step afresh');
    }
  }

  /** One rule transition from the edge rule engine. */
  onTransition(t: RuleTransition, now: number): void {
    const open = this.openFor(t.key);
    if (t.status === 'resolved') {
      if (!open) return;
      open.ruleFiring = false;
      if (open.status === 'firing' || open.status === 'escalated') this.resolve(open, now, 'the rule cleared');
      else this.save(open, now, 'the rule cleared');
      return;
    }
    if (open) {
      open.ruleFiring = true;
      if (open.status === 'remediating' && open.verifyUntil !== undefined) this.stepFailed(open, now, 'the rule fired again during verification');
      else this.save(open, now, 'the rule fired again');
      return;
    }
    const scope = this.options.scopeOf(t.rule);
    const linkUp = this.ports.linkUp();
    if (scope === 'both' && linkUp) return; // the cloud sees it too and acts: one actor while the link is up
    if (scope !== 'both' && scope !== 'edge') return;
    this.open(t, now, !linkUp);
  }

  /** Verification deadlines, rate-limit retries and the breaker. */
  tick(now: number): void {
    const open = this.journal.open();
    const affected = new Set(open.filter((i) => i.status !== 'escalated').map((i) => i.task)).size;
    const change = this.guard.fleet(affected, this.ports.taskCount());
    if (change) this.logger.warn(change === 'opened' ? 'local remediation halted: too many tasks affected at once' : 'local remediation resumed', { affectedTasks: affected });
    for (const i of open) {
      if (i.status === 'remediating' && i.verifyUntil !== undefined && now >= i.verifyUntil) this.verify(i, now);
      else if (i.status === 'firing' && i.retryAt !== undefined && now >= i.retryAt) this.advance(i, now);
      else if (i.status === 'firing' && i.actions.at(-1)?.result === 'breaker_open' && !this.guard.breakerIsOpen) this.advance(i, now);
    }
  }

  private openFor(key: string): LocalIncident | undefined {
    return this.journal.open().find((i) => i.key === key);
  }

  private open(t: RuleTransition, now: number, offline: boolean): void {
    const task = t.labels.task;
    const ladder = (t.ladder.length > 0 ? t.ladder.slice(Math.max(0, t.ladder.indexOf(t.action))) : []).filter((s): s is 'restart' | 'rollback' => LOCAL_STEPS.has(s));
    const i: LocalIncident = {
      id: this.ports.newId(),
      rev: 0,
      rule: t.rule,
      key: t.key,
      ...(task ? { task } : {}),
      status: 'firing',
      severity: t.severity,
      labels: { ...t.labels, node: this.options.node },
      annotations: t.annotations,
      startedAt: now,
      updatedAt: now,
      offline,
      ...(t.value !== undefined ? { value: t.value } : {}),
      traceIds: t.traceIds ?? [],
      actions: [],
      timeline: [],
      logs: task ? this.ports.recentLogs(task) : [],
      ladder,
      step: 0,
      ruleFiring: true,
      shippedRev: -1,
    };
    this.save(i, now, `rule ${t.rule} fired${t.value !== undefined ? ` (value ${Number(t.value.toFixed(3))})` : ''}${offline ? ' with the link to the collector down' : ''}`);
    this.logger.warn('local incident opened', { id: i.id, rule: i.rule, task, offline });
    if (this.guard.flapping(`${t.rule}\u0000${task ?? ''}`, now)) return this.escalate(i, now, 'flapping: it keeps coming back, local remediation is not holding');
    this.advance(i, now);
  }

  private advance(i: LocalIncident, now: number): void {
    i.retryAt = undefined;
    const task = i.task;
    if (i.ladder.length === 0) return; // a rule without a local action only records
    const action = i.ladder[i.step];
    if (action === undefined) return this.escalate(i, now, 'the local ladder (restart, rollback) is exhausted: migration and paging are the cloud\'s');
    if (!task) return this.escalate(i, now, 'the rule names no task to act on');
    const cloud = this.ports.cloudCommand(task, CLOUD_WINS_MS);
    if (cloud) {
      this.record(i, { type: action, commandId: cloud.id, issuedAt: now, result: 'fenced', reason: `the cloud's ${cloud.type} ${cloud.id} is under way and wins` }, now);
      return this.escalate(i, now, `left to the cloud: its ${cloud.type} command ${cloud.id}`);
    }
    const verdict = this.guard.check(action, this.options.node, task, now);
    if (!verdict.allow) {
      this.record(i, { type: action, commandId: '', issuedAt: now, result: verdict.result }, now);
      if (verdict.result === 'cooldown') {
        i.step++; // the same fix again so soon did not hold: the next step
        return this.advance(i, now);
      }
      if (verdict.result === 'dry_run') this.guard.commit(action, this.options.node, task, now);
      if (verdict.result === 'rate_limited' && verdict.retryAtMs !== undefined) i.retryAt = verdict.retryAtMs;
      this.save(i, now);
      return;
    }
    this.guard.commit(action, this.options.node, task, now);
    i.status = 'remediating';
    const step: EdgeAction = { type: action, commandId: `edge-${this.ports.newId().slice(0, 18)}`, issuedAt: now, result: 'pending' };
    this.record(i, step, now);
    this.ports.act(action, task).then(
      (r) => this.finished(i, step, 'done', r.version, undefined),
      (err: Error) => this.finished(i, step, 'failed', undefined, err.message),
    );
  }

  private finished(i: LocalIncident, step: EdgeAction, result: 'done' | 'failed', version: string | undefined, reason: string | undefined): void {
    const now = this.options.now();
    step.result = result;
    step.finishedAt = now;
    if (version) step.version = version;
    if (reason) step.reason = reason;
    this.metrics.action(step.type, result);
    if (result === 'failed') return this.stepFailed(i, now, `${step.type} failed: ${reason}`);
    this.ports.forgetRule(i.rule, i.key);
    i.ruleFiring = false;
    i.verifyUntil = now + this.options.verifyMs;
    this.save(i, now, `${step.type} done${version ? `: running version ${version}` : ''}; verifying for ${this.options.verifyMs / 1000} s`);
  }

  private stepFailed(i: LocalIncident, now: number, why: string): void {
    const last = i.actions.at(-1);
    if (last && last.verified === undefined && last.result === 'done') last.verified = false;
    this.logger.warn('local remediation step did not help', { incident: i.id, step: i.ladder[i.step], why });
    i.timeline.push({ at: now, what: why });
    i.verifyUntil = undefined;
    i.step++;
    i.status = 'firing';
    this.advance(i, now);
  }

  private verify(i: LocalIncident, now: number): void {
    const running = i.task !== undefined && this.ports.taskRunning(i.task);
    if (!i.ruleFiring && running) {
      const last = i.actions.filter((a) => a.result === 'done').at(-1);
      if (last) last.verified = true;
      i.verifyUntil = undefined;
      return this.resolve(i, now, `verified: the rule stayed clear and the task is running after ${i.ladder[i.step]}`);
    }
    this.stepFailed(i, now, i.ruleFiring ? 'the rule is still firing' : 'the task is not running');
  }

  private resolve(i: LocalIncident, now: number, why: string): void {
    i.status = 'resolved';
    i.resolvedAt = now;
    i.ruleFiring = false;
    this.save(i, now, why);
    this.logger.info('local incident resolved', { id: i.id, rule: i.rule, task: i.task, why });
  }

  private escalate(i: LocalIncident, now: number, why: string): void {
    i.status = 'escalated';
    i.escalation = why;
    this.save(i, now, `escalated: ${why}`);
    this.logger.warn('local incident escalated', { id: i.id, rule: i.rule, task: i.task, why });
  }

  private record(i: LocalIncident, a: EdgeAction, now: number): void {
    const last = i.actions.at(-1);
    // a withheld step repeated on every retry is one entry
    if (last && a.result !== 'pending' && last.type === a.type && last.result === a.result) return;
    if (i.actions.length >= 20) i.actions.shift();
    i.actions.push(a);
    if (a.result !== 'pending') this.metrics.action(a.type, a.result);
    this.save(i, now, a.result === 'pending' ? `${a.type} ${i.task} (${a.commandId})` : `${a.type} withheld: ${a.result}${a.reason ? ` (${a.reason})` : ''}`);
  }

  private save(i: LocalIncident, now: number, what?: string): void {
    i.updatedAt = now;
    if (what) {
      if (i.timeline.length >= 100) i.timeline.splice(1, 1); // keep the opening line
      i.timeline.push({ at: now, what });
    }
    this.journal.save(i);
    this.ports.changed();
  }
}
