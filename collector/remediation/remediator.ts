import type { Logger } from '../../common/logger.js';
import type { CommandRecord } from '../control/command-dispatcher.js';
import type { IncidentBook, IncidentChange } from '../incidents/incident-book.js';
import { isOpen, type ActionResult, type Incident, type IncidentAction } from '../incidents/incident.js';
import type { Guardrails } from '../../common/remediation/guardrails.js';
import type { Migrator } from './migrator.js';
import { taskRunning, type RemediationPorts } from './ports.js';
import type { RemediationMetrics } from './remediation-metrics.js';

/** Alert name of the page sent once when the circuit breaker halts remediation. */
export const BREAKER_ALERT = 'EdgewatchRemediationHalted';

export interface RemediatorOptions {
  /** After a step is done: how long the rule must stay clear and the task healthy before the incident resolves. */
  verifyMs: number;
}

const COMMAND_RESULT: Record<string, ActionResult> = { done: 'done', failed: 'failed', rejected: 'rejected', timeout: 'timeout' };

/**
 * From a firing rule to a verified fix: climbs each incident's ladder (restart → rollback → migrate → page)
 * one step at a time, through the guardrails; after a step is done the rule forgets its key and the step
 * is verified for `verifyMs` (the rule must not fire again and the task must be running), else the next
 * step runs. When nothing is left, or the incident flaps, a human is paged.
 */
export class Remediator {
  private breakerOpenedAt = 0;

  constructor(
    private readonly book: IncidentBook,
    private readonly guard: Guardrails,
    private readonly migrator: Migrator,
    private readonly ports: RemediationPorts,
    private readonly metrics: RemediationMetrics,
    private readonly options: RemediatorOptions,
    private readonly logger: Logger,
  ) {}

  /** What follows an incident change: the first step for a new one, a resolution or a failed verification. */
  onChange({ kind, incident: i }: IncidentChange, now: number): void {
    if (kind === 'cleared') {
      // while a step is in flight or being verified, the verification decides; otherwise the rule clearing ends it
      if (i.status === 'firing' || i.status === 'escalated') this.book.resolve(i, now, 'the rule cleared');
      else this.book.save(i);
      return;
    }
    if (kind === 'refired') {
      if (i.status === 'remediating' && i.verifyUntil !== undefined) this.stepFailed(i, now, 'the rule fired again during verification');
      else this.book.save(i);
      return;
    }
    if (this.guard.flapping(i.fingerprint, now)) {
      this.book.escalate(i, now, 'flapping: it keeps coming back, automatic remediation is not holding');
      this.metrics.action('page', 'done');
      return;
    }
    this.advance(i, now);
  }

  /**
   * After a collector restart: a step whose command result was not seen is verified afresh (the command
   * may well have run), so no incident stays in `remediating` forever.
   */
  resume(now: number): void {
    for (const i of this.book.unresolved()) {
      if (i.status !== 'remediating' || i.verifyUntil !== undefined) continue;
      const pending = i.actions.filter((a) => a.result === 'pending');
      for (const a of pending) a.reason = 'the collector restarted before its result arrived';
      // the rule engine starts empty: only fresh evidence fires the rule again
      i.ruleFiring = false;
      i.verifyUntil = now + this.options.verifyMs;
      this.book.save(i);
    }
  }

  /** Verification deadlines, rate-limit retries, the breaker, and pending migrations. */
  tick(now: number): void {
    this.updateBreaker(now);
    for (const i of this.book.unresolved()) {
      if (i.status === 'remediating' && i.verifyUntil !== undefined && now >= i.verifyUntil) this.verify(i, now);
      else if (i.status === 'firing' && i.retryAt !== undefined && now >= i.retryAt) this.advance(i, now);
      else if (i.status === 'firing' && i.actions.at(-1)?.result === 'breaker_open' && !this.guard.breakerIsOpen) this.advance(i, now);
    }
    this.migrator.tick(now);
  }

  /** Runs the incident's current step, or withholds it as the guardrails say. */
  advance(i: Incident, now: number): void {
    i.retryAt = undefined;
    if (i.ladder.length === 0) return; // a rule with `action: none` only notifies
    for (;;) {
      const action = i.ladder[i.step];
      const node = i.labels.node;
      const task = i.labels.task;
      if (action === undefined) return this.escalate(i, now, 'no remediation step left');
      if (action === 'page') return this.escalate(i, now, `paging on-call after: ${summary(i) || 'no automatic step'}`);
      if (action === 'none') return;
      if (!node) return this.escalate(i, now, 'the alert names no node to act on');
      if ((action === 'restart' || action === 'rollback') && !task) {
        i.step++; // a node-wide incident: only migration applies
        continue;
      }
      const claim = this.ports.edgeClaim?.(i);
      if (claim) {
        // the node handled this fault itself (its claim arrived after this incident opened): one actor
        this.record(i, { type: action, node, ...(task ? { task } : {}), ...(claim.commandIds[0] ? { commandId: claim.commandIds[0] } : {}), issuedAt: now, result: 'fenced', reason: `edge incident ${claim.incidentId} handled it on the node` }, now);
        return;
      }
      const verdict = this.guard.check(action, node, task, now);
      if (!verdict.allow) {
        this.record(i, { type: action, node, ...(task ? { task } : {}), issuedAt: now, result: verdict.result }, now);
        if (verdict.result === 'cooldown') {
          i.step++; // the same fix again so soon did not hold: go up the ladder
          continue;
        }
        if (verdict.result === 'dry_run') this.guard.commit(action, node, task, now);
        if (verdict.result === 'rate_limited' && verdict.retryAtMs !== undefined) i.retryAt = verdict.retryAtMs;
        this.book.save(i);
        return;
      }
      this.guard.commit(action, node, task, now);
      i.status = 'remediating';
      if (action === 'migrate') {
        this.migrator.start(i, now, (ok, at, why) => (ok ? this.stepDone(i, at) : this.stepFailed(i, at, why ?? 'migration failed')));
        return;
      }
      const span = this.ports.stepSpan(`remediation.${action}`, i);
      const cmd = this.ports.send({ node, type: action, task: task!, traceparent: span.traceparent, requestedBy: `remediation (${i.rule}, incident ${i.id})` });
      const step: IncidentAction = { type: action, node, task: task!, commandId: cmd.id, issuedAt: now, result: 'pending' };
      this.record(i, step, now);
      this.ports.whenFinal(cmd.id).then(
        (rec) => {
          span.end(rec.status === 'done' ? undefined : `${rec.status}${rec.reason ? `: ${rec.reason}` : ''}`);
          this.onCommandFinal(i, step, rec);
        },
        (err) => this.logger.error('command tracking failed', { incident: i.id, err }),
      );
      return;
    }
  }

  private onCommandFinal(i: Incident, step: IncidentAction, rec: CommandRecord): void {
    const now = rec.finishedAt ?? rec.issuedAt;
    step.result = COMMAND_RESULT[rec.status] ?? 'failed';
    step.finishedAt = now;
    if (rec.reason) step.reason = rec.reason;
    this.metrics.action(step.type, step.result);
    if (!isOpen(i)) return this.book.save(i);
    if (step.result === 'done') this.stepDone(i, now);
    else this.stepFailed(i, now, `${step.type} ${step.result}${rec.reason ? `: ${rec.reason}` : ''}`);
  }

  /** A step finished: watch for `verifyMs` whether it held. */
  private stepDone(i: Incident, now: number): void {
    this.ports.forgetRule(i.rule, i.key);
    i.ruleFiring = false;
    i.verifyUntil = now + this.options.verifyMs;
    i.updatedAt = now;
    this.book.save(i);
  }

  private stepFailed(i: Incident, now: number, why: string): void {
    const last = i.actions.at(-1);
    if (last && last.verified === undefined && last.result === 'done') last.verified = false;
    this.logger.warn('remediation step did not help', { incident: i.id, step: i.ladder[i.step], why });
    i.verifyUntil = undefined;
    i.step++;
    i.status = 'firing';
    this.advance(i, now);
  }

  private verify(i: Incident, now: number): void {
    const node = i.labels.node;
    const task = i.labels.task;
    const migrated = this.migrator.owns(i);
    const healthy = migrated ? this.migrator.healthy(i) : Boolean(node && task && taskRunning(this.ports, node, task));
    if (migrated) this.migrator.forget(i);
    // a migrated node-wide incident is fixed once its tasks run elsewhere, even while the node stays down
    if (migrated && healthy) i.ruleFiring = false;
    if (!i.ruleFiring && healthy) {
      const last = i.actions.filter((a) => a.result === 'done').at(-1);
      if (last) last.verified = true;
      i.verifyUntil = undefined;
      this.book.resolve(i, now, `verified: the rule stayed clear and the task is running after ${i.ladder[i.step]}`);
      return;
    }
    this.stepFailed(i, now, i.ruleFiring ? 'the rule is still firing' : 'the task is not running');
  }

  private escalate(i: Incident, now: number, why: string): void {
    this.metrics.action('page', 'done');
    this.book.escalate(i, now, why);
  }

  private record(i: Incident, a: IncidentAction, now: number): void {
    const last = i.actions.at(-1);
    // a withheld step repeated on every retry is one audit entry, not a log flood
    if (last && a.result !== 'pending' && last.type === a.type && last.result === a.result && last.node === a.node && last.task === a.task) return;
    i.actions.push(a);
    i.updatedAt = now;
    if (a.result !== 'pending') this.metrics.action(a.type, a.result);
    this.book.save(i);
  }

  private updateBreaker(now: number): void {
    // the fleet is the nodes that heartbeat, never names in alert labels: a flood of alerts for made-up
    // nodes must not open the breaker and withhold real remediation
    const fleet = new Set(this.ports.nodes().filter((n) => n.lastHeartbeatMs !== undefined).map((n) => n.node));
    const affected = new Set(this.book.unresolved().filter(isOpen).map((i) => i.labels.node).filter((n): n is string => n !== undefined && fleet.has(n))).size;
    const change = this.guard.fleet(affected, fleet.size);
    if (!change) return;
    this.metrics.breakerOpen(change === 'opened');
    if (change === 'opened') this.breakerOpenedAt = now;
    this.logger.warn(change === 'opened' ? 'remediation halted: too much of the fleet is affected at once' : 'remediation resumed', { affectedNodes: affected });
    this.ports.notify([
      {
        incidentId: `breaker-${this.breakerOpenedAt}`,
        status: change === 'opened' ? 'firing' : 'resolved',
        labels: { alertname: BREAKER_ALERT, severity: 'page' },
        annotations: { summary: `automatic remediation halted: ${affected} nodes affected at once`, description: 'a mass outage is for humans; edgewatch acts again when fewer nodes are affected' },
        startsAt: this.breakerOpenedAt,
        ...(change === 'closed' ? { endsAt: now } : {}),
      },
    ]);
  }
}

function summary(i: Incident): string {
  return i.actions.map((a) => `${a.type} ${a.result}${a.verified === false ? ' (did not hold)' : ''}`).join(', ');
}
