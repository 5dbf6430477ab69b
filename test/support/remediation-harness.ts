import { Registry } from 'prom-client';
import { FakeClock } from '../../common/clock.js';
import { silentLogger } from '../../common/logger.js';
import type { CommandRecord, CommandRequest } from '../../collector/control/command-dispatcher.js';
import type { NodeState } from '../../collector/control/node-registry.js';
import { IncidentBook } from '../../collector/incidents/incident-book.js';
import { IncidentStore } from '../../collector/incidents/incident-store.js';
import type { AlertStateInput } from '../../collector/notify/alert-state.js';
import { openIncidents, remediate, detectionBatch } from '../../collector/pipeline/detection-pipeline.js';
import { sequence } from '../../collector/pipeline/stage.js';
import type { GuardrailOptions } from '../../common/remediation/guardrails.js';
import type { RemediationPorts } from '../../collector/remediation/ports.js';
import { createRemediation } from '../../collector/remediation/remediation.js';
import type { RuleTransition } from '../../common/rules/signals.js';
import { StateDb } from '../../collector/state/state-db.js';
import type { TaskStatusWire } from '../../protocol/telemetry.js';
import type { TaskSpec } from '../../protocol/task-spec.js';
import { spec as taskSpec } from './supervisor-harness.js';

/** Guardrails that never get in the way, for tests that override what they look at. */
export const OPEN_GUARDS: GuardrailOptions = {
  dryRun: false,
  cooldownMs: 0,
  ratePerMinute: 1000,
  burst: 1000,
  breakerOpenShare: 1,
  breakerCloseShare: 0.5,
  breakerMinNodes: 1000,
  flapMaxIncidents: 1000,
  flapWindowMs: 60_000,
};

/** A fake node as the registry would hold it. */
export function node(name: string, tasks: Array<Partial<TaskStatusWire> & { name: string }> = [], over: Partial<NodeState> = {}): NodeState {
  return {
    node: name,
    status: 'online',
    statusSinceMs: 0,
    lastHeartbeatMs: 0,
    labels: {},
    taints: [],
    maxTasks: 10,
    cpuForecast: 0.1,
    memoryForecast: 0.1,
    linkLatencyMs: 5,
    load: { cpu: 0.1, memoryBytes: 1e9, memoryTotalBytes: 8e9, tasks: tasks.length, spoolRecords: 0, spoolBytes: 0 },
    tasks: new Map(tasks.map((t) => [t.name, { version: '1', state: 'running', restarts: 0, job: false, spec: { name: t.name, version: '1', command: ['x'] }, ...t }])),
    ...over,
  };
}

/** A rule transition as the engine would emit it. */
export function transition(status: 'firing' | 'resolved', labels: Record<string, string>, over: Partial<RuleTransition> = {}): RuleTransition {
  const rule = over.rule ?? 'consecutive-5xx';
  return {
    rule,
    key: `${rule}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`,
    status,
    at: 0,
    labels,
    annotations: {},
    severity: 'critical',
    action: 'restart',
    ladder: ['restart', 'rollback', 'migrate', 'page'],
    ...over,
  };
}

/** Remediator, book and guardrails on a fake clock with fake ports; commands are settled by the test. */
export function remediation(guards: Partial<GuardrailOptions> = {}, verifyMs = 30_000) {
  const clock = new FakeClock();
  const state = new StateDb(':memory:');
  const registry = new Registry();
  const sent: Array<CommandRequest & { id: string; settle(status: CommandRecord['status'], reason?: string): Promise<void> }> = [];
  const alerts: AlertStateInput[] = [];
  const forgotten: string[] = [];
  const nodes = new Map<string, NodeState>();
  const desired = new Map<string, Map<string, TaskSpec>>();
  const epochs = new Map<string, number>();
  let ids = 0;
  const ports: RemediationPorts = {
    send(req) {
      const id = `cmd-${++ids}`;
      let resolve!: (r: CommandRecord) => void;
      const final = new Promise<CommandRecord>((r) => (resolve = r));
      finals.set(id, final);
      sent.push({
        ...req,
        id,
        async settle(status, reason) {
          resolve({ id, node: req.node, type: req.type, issuedAt: clock.now(), expiresAt: clock.now() + 300_000, epoch: epochs.get(req.node) ?? 1, traceparent: req.traceparent ?? '', status, attempts: 1, acks: [], finishedAt: clock.now(), ...(reason ? { reason } : {}) });
          await flushMicrotasks();
        },
      });
      return { id };
    },
    whenFinal: (id) => finals.get(id)!,
    node: (n) => nodes.get(n),
    desiredSpec: (n, t) => desired.get(n)?.get(t),
    desiredTasks: (n) => [...(desired.get(n)?.keys() ?? [])],
    nodes: () => [...nodes.values()],
    raiseEpoch(n) {
      const e = (epochs.get(n) ?? 1) + 1;
      epochs.set(n, e);
      return e;
    },
    forgetRule: (rule, key) => void forgotten.push(`${rule} ${key}`),
    notify: (a) => void alerts.push(...a),
    randomHex: (n) => 'ab'.repeat(n),
    stepSpan: (_name, i) => ({ traceparent: `00-${i.traceId}-${'ab'.repeat(8)}-01`, end() {} }),
  };
  const finals = new Map<string, Promise<CommandRecord>>();
  let incidentIds = 0;
  const book = new IncidentBook({
    store: new IncidentStore(state),
    evidence: (_l, startedAt, traceIds, value) => ({ traceIds, logs: [], windowStart: startedAt - 1, windowEnd: startedAt, ...(value !== undefined ? { value } : {}) }),
    notify: ports.notify,
    newId: () => `inc-${++incidentIds}`,
    newTraceId: () => '0'.repeat(31) + '1',
    logger: silentLogger,
  });
  const { guard, remediator } = createRemediation(
    { guards: { ...OPEN_GUARDS, ...guards }, verifyMs, migrationTimeoutMs: 60_000 },
    { book, ports, registry, logger: silentLogger, now: clock.now() },
  );
  // the collector's own stages from a rule transition to action
  const fromTransitions = sequence((b) => b.transitions.length === 0 && b.changes.length === 0, openIncidents(book), remediate(remediator, silentLogger));
  const transitionAt = (t: RuleTransition) => void fromTransitions.exec({ now: clock.now() }, { ...detectionBatch({}), transitions: [{ ...t, at: clock.now() }] });
  return {
    clock,
    sent,
    alerts,
    forgotten,
    nodes,
    epochs,
    /** Records a task's desired spec on a node, as desired.file or PUT /api/specs would. */
    declare(node: string, spec: Partial<TaskSpec> & { name: string }) {
      const full = taskSpec({ command: ['x'], ...spec } as Parameters<typeof taskSpec>[0]);
      desired.set(node, new Map([...(desired.get(node) ?? []), [full.name, full]]));
    },
    book,
    guard,
    registry,
    remediator,
    fire: (labels: Record<string, string>, over: Partial<RuleTransition> = {}) => transitionAt(transition('firing', labels, over)),
    clear: (labels: Record<string, string>, over: Partial<RuleTransition> = {}) => transitionAt(transition('resolved', labels, over)),
    /** Advances the fake clock second by second, ticking the remediator like the collector does. */
    advance(ms: number) {
      for (let t = 0; t < ms; t += 1000) {
        clock.advance(Math.min(1000, ms - t));
        remediator.tick(clock.now());
      }
    },
    incident: () => book.unresolved()[0] ?? book.get('inc-1')!,
  };
}

/** Lets promise continuations (command results) run. */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
