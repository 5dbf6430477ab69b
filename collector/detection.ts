import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, Timers } from '../common/clock.js';
import type { Component } from '../common/lifecycle.js';
import type { Logger } from '../common/logger.js';
import type { Span, Tracer } from '../common/tracing.js';
import { alertmanagerRoutes } from './api/alertmanager-route.js';
import { incidentRoutes } from './api/incident-routes.js';
import { recordView } from './api/record-view.js';
import type { CollectorConfig } from './config.js';
import type { ControlPlane } from './control/control-plane.js';
import type { Event } from './events/event.js';
import { IncidentBook } from './incidents/incident-book.js';
import { IncidentStore } from './incidents/incident-store.js';
import { NodeHttpPost } from './notify/node-http-post.js';
import { outboxPathFor, SqliteWebhookOutbox } from './notify/sqlite-outbox.js';
import { WebhookNotifier } from './notify/webhook-notifier.js';
import type { IngestBatch } from './pipeline/ingest-batch.js';
import { stage, type Stage } from './pipeline/stage.js';
import { Guardrails } from './remediation/guardrails.js';
import { Migrator } from './remediation/migrator.js';
import { RemediationMetrics } from './remediation/remediation-metrics.js';
import { Remediator } from './remediation/remediator.js';
import { RuleEngine } from './rules/rule-engine.js';
import { loadRulesFile } from './rules/rule-file.js';
import type { LogSignal, RuleTransition, Signal } from './rules/signals.js';
import type { StateDb } from './state/state-db.js';
import type { EventStore } from './store/event-store.js';

/** The default rule set shipped in alerts/ (used when `rules.file` is not set). */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../alerts/collector-rules.yml', import.meta.url));

const EVIDENCE_WINDOW_MS = 5 * 60_000;

export interface DetectionDeps {
  tracer: Tracer;
  store: EventStore;
  state: StateDb;
  control: ControlPlane;
  registry: Registry;
  clock: Clock & Timers;
  logger: Logger;
}

/**
 * Fills `s` from an event. One signal object is reused for a whole batch: this runs for every stored
 * record, and the engine keeps nothing of the object itself (its keyer is told to forget it per signal).
 */
function fillLogSignal(s: LogSignal, e: Event, now: number): LogSignal {
  s.at = e.timeMs < now ? e.timeMs : now; // edge clocks can run ahead; the rules must not see the future
  s.node = e.node;
  s.task = e.task;
  s.service = e.service;
  s.level = e.level;
  s.msg = e.msg;
  s.status = e.status;
  s.duration_ms = e.duration_ms;
  s.trace_id = e.trace_id;
  s.attrs = e.attrs;
  return s;
}

/**
 * Where a rule fires and a fix is chosen: the rule engine fed by stored log events, control-channel
 * signals and Alertmanager webhooks; incidents with evidence; the remediation ladder through guardrails;
 * webhooks out. Returns the pipeline stage, the signal and tick entry points, routes and components.
 */
export function createDetection(config: CollectorConfig, deps: DetectionDeps) {
  const { clock, registry, control, tracer } = deps;
  // the ingest span of the batch being evaluated: a rule firing links to the batch that delivered it
  let ingestSpan: Span | undefined;
  const randomHex = (n: number) => randomBytes(n).toString('hex');
  const logger = deps.logger.child({ component: 'detection' });
  const rulesFile = config.rules.file ?? DEFAULT_RULES_FILE;
  const engine = new RuleEngine(loadRulesFile(rulesFile));
  const outbox = new SqliteWebhookOutbox(config.notify.outboxPath ?? outboxPathFor(config.store.path), config.store.synchronous);
  const notifier = new WebhookNotifier(
    { webhooks: config.notify.webhooks, externalURL: config.notify.externalURL ?? `http://${hostname()}:${config.http.listen.port}` },
    { clock, timers: clock, http: new NodeHttpPost(), outbox, registry, logger: deps.logger.child({ component: 'notify' }) },
  );
  const incidents = new IncidentStore(deps.state);
  const book = new IncidentBook({
    store: incidents,
    evidence(labels, startedAt, traceIds, value) {
      const logs = deps.store
        .logs({ ...(labels.node ? { node: labels.node } : {}), ...(labels.task ? { task: labels.task } : {}), sinceMs: startedAt - EVIDENCE_WINDOW_MS, untilMs: startedAt, limit: 50 })
        .map(recordView);
      return { traceIds, logs, windowStart: startedAt - EVIDENCE_WINDOW_MS, windowEnd: startedAt, ...(value !== undefined ? { value } : {}) };
    },
    notify: (alerts) => notifier.notify(alerts),
    newId: () => randomUUID(),
    newTraceId: () => randomBytes(16).toString('hex'),
    fireSpan(t, traceId) {
      // a child of the failing request's trace, so the command and the edge action join it
      const span = tracer.startSpan(`rule.fire ${t.rule}`, {
        parent: `00-${traceId}-${randomHex(8)}-01`,
        ...(ingestSpan ? { links: [ingestSpan.traceparent] } : {}),
        attributes: { 'edgewatch.rule': t.rule, ...(t.labels.node ? { 'edgewatch.node': t.labels.node } : {}), ...(t.labels.task ? { 'edgewatch.task': t.labels.task } : {}), ...(t.value !== undefined ? { 'edgewatch.value': t.value } : {}) },
      });
      span.end();
      return span.traceparent;
    },
    registry,
    logger,
  });
  const r = config.remediation;
  const guard = new Guardrails(
    {
      dryRun: r.dryRun,
      cooldownMs: r.cooldownSeconds * 1000,
      ratePerMinute: r.ratePerMinute,
      burst: r.burst,
      breakerOpenShare: r.breaker.openShare,
      breakerCloseShare: r.breaker.closeShare,
      breakerMinNodes: r.breaker.minNodes,
      flapMaxIncidents: r.flap.maxIncidents,
      flapWindowMs: r.flap.windowMinutes * 60_000,
    },
    clock.now(),
  );
  const metrics = new RemediationMetrics(registry);
  const ports = {
    send: (req: Parameters<ControlPlane['dispatcher']['send']>[0]) => control.dispatcher.send(req),
    whenFinal: (id: string) => control.dispatcher.whenFinal(id),
    node: (n: string) => control.nodes.get(n),
    nodes: () => control.nodes.list(),
    raiseEpoch: (n: string) => control.epochs.raise(n),
    forgetRule: (rule: string, key: string) => void engine.forget(rule, key),
    notify: (alerts: Parameters<WebhookNotifier['notify']>[0]) => notifier.notify(alerts),
    randomHex,
    stepSpan(name: string, i: { traceId: string; traceparent?: string }) {
      const span = tracer.startSpan(name, { parent: i.traceparent ?? `00-${i.traceId}-${randomHex(8)}-01` });
      return { traceparent: span.traceparent, end: (error?: string) => span.end(error) };
    },
  };
  const remediator = new Remediator(book, guard, new Migrator(ports, metrics, r.migrationTimeoutSeconds * 1000, logger), ports, metrics, { verifyMs: r.verifySeconds * 1000 }, logger);
  remediator.resume(clock.now());
  const observeAll = (signals: readonly Signal[]) => {
    const now = clock.now();
    for (const s of signals) apply(engine.observe(s), now);
  };
  const apply = (transitions: readonly RuleTransition[], now: number) => {
    for (const t of transitions) {
      try {
        remediator.onTransition(t, now);
      } catch (err) {
        logger.error('handling a rule transition failed', { rule: t.rule, key: t.key, err });
      }
    }
  };
  registerRuleMetrics(registry, engine);

  const evaluate: Stage<IngestBatch> = stage('evaluate-rules', (ctx, batch) => {
    // spans only when tracing is on: the hot path must not pay for ids it throws away
    ingestSpan = tracer.enabled && batch.events.length > 0 ? tracer.startSpan('collector.ingest', { startTimeMs: ctx.now, attributes: { 'edgewatch.input': batch.input, 'edgewatch.tag': batch.tag, 'edgewatch.records': batch.events.length } }) : undefined;
    const signal: LogSignal = { kind: 'log', at: 0, level: 'info', msg: '' };
    for (const e of batch.events) {
      const transitions = engine.observe(fillLogSignal(signal, e, ctx.now));
      if (transitions.length > 0) apply(transitions, ctx.now);
    }
    ingestSpan?.end();
    ingestSpan = undefined;
    return batch;
  });
  const outboxComponent: Component = { name: 'notify-outbox', start() {}, stop: () => outbox.close() };
  logger.info('rules loaded', { file: rulesFile, rules: engine.ruleNames, dryRun: r.dryRun });
  return {
    evaluate,
    onSignals: observeAll,
    onTick(now: number) {
      apply(engine.tick(now), now);
      remediator.tick(now);
    },
    routes: [
      incidentRoutes(book, incidents),
      alertmanagerRoutes({
        onAlerts: observeAll,
        clock,
        registry,
        logger: deps.logger.child({ component: 'alertmanager' }),
        ...(config.alertmanager.bearerToken ? { bearerToken: config.alertmanager.bearerToken } : {}),
        ...(config.alertmanager.secret ? { secret: config.alertmanager.secret } : {}),
        maxBodyBytes: config.alertmanager.maxBodyBytes,
      }),
    ],
    /** Started before the inputs, stopped after them (the outbox closes last). */
    components: [outboxComponent, notifier] as Component[],
    book,
    engine,
  };
}

/** Rule-engine gauges and counters, read from its stats at scrape time. */
function registerRuleMetrics(registry: Registry, engine: RuleEngine): void {
  new Gauge({
    name: 'edgewatch_collector_rule_keys',
    help: 'Keys (node/task combinations) a rule holds state for; bounded by its maxKeys.',
    labelNames: ['rule'],
    registers: [registry],
    collect() {
      for (const s of engine.stats().rules) this.set({ rule: s.rule }, s.keys);
    },
  });
  new Gauge({
    name: 'edgewatch_collector_rule_firing',
    help: 'Keys a rule is firing for now.',
    labelNames: ['rule'],
    registers: [registry],
    collect() {
      for (const s of engine.stats().rules) this.set({ rule: s.rule }, s.firing);
    },
  });
  let lastLate = 0;
  new Counter({
    name: 'edgewatch_collector_rule_late_signals_total',
    help: 'Signals older than 5 minutes when they arrived (an edge backlog after an outage), not evaluated.',
    registers: [registry],
    collect() {
      const late = engine.stats().late;
      if (late > lastLate) this.inc(late - lastLate);
      lastLate = late;
    },
  });
}
