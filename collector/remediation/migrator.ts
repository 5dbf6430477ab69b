import type { Logger } from '../../common/logger.js';
import type { NodeState } from '../control/node-registry.js';
import type { Incident, IncidentAction } from '../incidents/incident.js';
import { rankNodes, type NodeCandidate } from './placement.js';
import { taskRunning, type RemediationPorts } from './ports.js';
import type { RemediationMetrics } from './remediation-metrics.js';

/** Called once a migration step ends: ok, when, and why not. */
type Done = (ok: boolean, at: number, why?: string) => void;

interface Move {
  task: string;
  target: string;
  action: IncidentAction;
  /** Set once the target accepted and ran the apply. */
  applied: boolean;
}

interface Migration {
  incident: Incident;
  source: string;
  moves: Move[];
  deadline: number;
  done: Done;
  finished: boolean;
}

/** A task the fenced source must stop when it comes back. */
interface Fence {
  node: string;
  task: string;
  lastSent: number;
}

function candidate(n: NodeState): NodeCandidate {
  const load = n.load;
  return {
    node: n.node,
    online: n.status === 'online',
    labels: n.labels,
    taints: n.taints,
    tasks: n.tasks.size,
    maxTasks: n.maxTasks,
    cpuForecast: n.cpuForecast ?? 0,
    memoryForecast: n.memoryForecast ?? 0,
    linkLatencyMs: n.linkLatencyMs ?? 0,
    freeMemoryBytes: load ? load.memoryTotalBytes - load.memoryBytes : 0,
  };
}

/**
 * Migration, make-before-break: each task of the failed node (or the one failed task) is applied on the
 * best-scored node that fits, and only once it runs there is it released on the source. A source that
 * cannot be reached is fenced instead: its epoch is raised and the release waits in its broker session, and
 * whenever it shows up again still running the task, the release is sent again.
 */
export class Migrator {
  private readonly migrations = new Map<string, Migration>();
  private readonly fences: Fence[] = [];

  constructor(
    private readonly ports: RemediationPorts,
    private readonly metrics: RemediationMetrics,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Whether this incident's current step is a migration (its verification asks {@link healthy}). */
  owns(i: Incident): boolean {
    return this.migrations.has(i.id);
  }

  /** Drops a finished migration once its verification has been decided. */
  forget(i: Incident): void {
    this.migrations.delete(i.id);
  }

  /** Every moved task runs on its target. */
  healthy(i: Incident): boolean {
    const m = this.migrations.get(i.id);
    return m !== undefined && m.moves.every((mv) => taskRunning(this.ports, mv.target, mv.task));
  }

  start(i: Incident, now: number, done: Done): void {
    const source = i.labels.node!;
    const tasks = i.labels.task ? [i.labels.task] : this.ports.desiredTasks(source);
    if (tasks.length === 0) return done(false, now, `no desired tasks recorded for ${source} to move (desired.file or PUT /api/specs)`);
    const m: Migration = { incident: i, source, moves: [], deadline: now + this.timeoutMs, done, finished: false };
    const taken = new Map<string, number>();
    for (const task of tasks) {
      // only a spec the cloud recorded is ever applied elsewhere: what a node reports is status, not intent
      const spec = this.ports.desiredSpec(source, task);
      if (!spec) return this.fail(m, now, `no desired spec recorded for ${task} on ${source}: declare it (desired.file or PUT /api/specs/${source}/${task}) to let it move`);
      const cands = this.ports.nodes().map((n) => {
        const c = candidate(n);
        c.tasks += taken.get(n.node) ?? 0;
        return c;
      });
      const ranked = rankNodes(cands, {
        nodeSelector: spec.nodeSelector ?? {},
        tolerations: spec.tolerations ?? [],
        ...(spec.resources?.limits?.memory !== undefined ? { memoryLimitBytes: spec.resources.limits.memory } : {}),
        exclude: [source],
      });
      const best = ranked[0];
      if (!best?.fit) {
        const action: IncidentAction = { type: 'migrate', node: source, task, issuedAt: now, result: 'no_target', reason: ranked.map((r) => (r.fit ? r.node : `${r.node}: ${r.why}`)).join('; ') || 'no other node' };
        i.actions.push(action);
        this.metrics.action('migrate', 'no_target');
        return this.fail(m, now, `no node fits ${task}`);
      }
      taken.set(best.node, (taken.get(best.node) ?? 0) + 1);
      const span = this.ports.stepSpan('remediation.migrate', i);
      const cmd = this.ports.send({ node: best.node, type: 'apply', task, spec: spec as Record<string, unknown>, traceparent: span.traceparent, requestedBy: `remediation (migration, incident ${i.id})` });
      const action: IncidentAction = { type: 'migrate', node: source, task, target: best.node, commandId: cmd.id, issuedAt: now, result: 'pending' };
      i.actions.push(action);
      const move: Move = { task, target: best.node, action, applied: false };
      m.moves.push(move);
      this.ports.whenFinal(cmd.id).then((rec) => {
        action.result = rec.status === 'done' ? 'done' : rec.status === 'pending' || rec.status === 'accepted' ? 'timeout' : rec.status;
        action.finishedAt = rec.finishedAt ?? rec.issuedAt;
        if (rec.reason) action.reason = rec.reason;
        span.end(action.result === 'done' ? undefined : action.result);
        this.metrics.action('migrate', action.result);
        if (action.result === 'done') move.applied = true;
        else this.fail(m, action.finishedAt, `apply of ${task} on ${best.node} ${action.result}`);
      });
    }
    this.migrations.set(i.id, m);
    this.logger.warn('migrating', { incident: i.id, source, moves: m.moves.map((mv) => `${mv.task}->${mv.target}`) });
  }

  /** Releases sources once targets run, times out slow migrations, and re-sends releases to fenced nodes. */
  tick(now: number): void {
    for (const m of this.migrations.values()) {
      if (m.finished) continue;
      if (m.moves.every((mv) => mv.applied && taskRunning(this.ports, mv.target, mv.task))) {
        this.release(m, now);
        m.finished = true;
        m.done(true, now);
      } else if (now >= m.deadline) this.fail(m, now, 'the tasks did not come up on their targets in time');
    }
    for (let k = this.fences.length - 1; k >= 0; k--) {
      const f = this.fences[k]!;
      const n = this.ports.node(f.node);
      if (n?.status !== 'online') continue;
      const stale = n.tasks.get(f.task);
      if (!stale) {
        this.fences.splice(k, 1); // the stale copy is gone
        continue;
      }
      if (stale.state !== 'stopped' && now - f.lastSent >= 10_000) {
        f.lastSent = now;
        this.logger.warn('fenced node is back with a stale copy: releasing it', { node: f.node, task: f.task });
        this.ports.send({ node: f.node, type: 'release', task: f.task, requestedBy: 'remediation (fence)' });
      }
    }
  }

  private release(m: Migration, now: number): void {
    const online = this.ports.node(m.source)?.status === 'online';
    if (!online) this.ports.raiseEpoch(m.source); // its old commands are void; the release below carries the new epoch
    for (const mv of m.moves) {
      const span = this.ports.stepSpan('remediation.release', m.incident);
      const cmd = this.ports.send({ node: m.source, type: 'release', task: mv.task, traceparent: span.traceparent, requestedBy: `remediation (migration, incident ${m.incident.id})` });
      const action: IncidentAction = { type: 'release', node: m.source, task: mv.task, commandId: cmd.id, issuedAt: now, result: 'pending', reason: online ? 'make-before-break: the copy on the target runs' : 'fenced: the source is unreachable; it stops its copy when it comes back' };
      m.incident.actions.push(action);
      this.ports.whenFinal(cmd.id).then((rec) => {
        action.result = rec.status === 'done' ? 'done' : rec.status === 'pending' || rec.status === 'accepted' ? 'timeout' : rec.status;
        action.finishedAt = rec.finishedAt ?? rec.issuedAt;
        span.end(action.result === 'done' ? undefined : action.result);
        this.metrics.action('release', action.result);
      });
      if (!online) this.fences.push({ node: m.source, task: mv.task, lastSent: now });
    }
  }

  private fail(m: Migration, now: number, why: string): void {
    if (m.finished) return;
    m.finished = true;
    this.migrations.delete(m.incident.id);
    m.done(false, now, why);
  }
}
