import { hostname } from 'node:os';
import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock, Timers } from '../common/clock.js';
import { readConfigFile } from '../common/config.js';
import type { Logger } from '../common/logger.js';
import type { MessageBus } from '../common/message-bus.js';
import { RuleEngine } from '../common/rules/rule-engine.js';
import { loadRulesFile } from '../common/rules/rule-file.js';
import { RuleMetrics } from '../common/rules/rule-metrics.js';
import type { Tracer } from '../common/tracing.js';
import type { CollectorConfig } from './config.js';
import type { CommandDispatcher } from './control/command-dispatcher.js';
import type { NodeRegistry } from './control/node-registry.js';
import type { DesiredSpecs } from './desired/desired-specs.js';
import { createEdgeSide } from './edge/edge-side.js';
import { storeEvidence } from './incidents/evidence.js';
import { IncidentBook } from './incidents/incident-book.js';
import { IncidentMetrics } from './incidents/incident-metrics.js';
import { firedRecord } from './incidents/incident-record.js';
import { IncidentStore } from './incidents/incident-store.js';
import { DeliveryJournal } from './notify/delivery-journal.js';
import { NodeHttpPost } from './notify/node-http-post.js';
import { WebhookNotifier } from './notify/webhook-notifier.js';
import type { WebhookOutbox } from './notify/webhook-outbox.js';
import { DetectionSpans } from './pipeline/detection-spans.js';
import type { InternalRecord } from './pipeline/internal-events.js';
import { createRemediation, guardrailOptions } from './remediation/remediation.js';
import type { StateHandle } from './state/sql-database.js';
import type { EpochStore } from './state/state-db.js';
import type { EventStore } from './store/event-store.js';

/** What the detection side is built from: the stores, the control plane it sends through, the process's adapters. */
export interface DetectionSideDeps {
  store: EventStore;
  state: StateHandle;
  outbox: WebhookOutbox;
  registry: Registry;
  clock: Clock & Timers;
  tracer: Tracer;
  randomHex(bytes: number): string;
  signingKey: { privateKey: KeyObject; keyId: string };
  bus: MessageBus;
  nodes: NodeRegistry;
  dispatcher: CommandDispatcher;
  desired: DesiredSpecs;
  epochs: EpochStore;
  /** Writes the collector's own records (a rule firing) into the store, through the ingest pipeline. */
  writeInternal(records: InternalRecord[]): Promise<void>;
  logger: Logger;
  detectLog: Logger;
}

/**
 * The detection side of the collector, built for the composition root (collector/main.ts): the rule
 * engine over the rules scoped here, the incident book, webhooks for every incident change, the edge
 * side (claim fence, the nodes' own incidents, their rule set) and the remediator with its ports.
 */
export function detectionSide(config: CollectorConfig, d: DetectionSideDeps) {
  const { store, state, outbox, registry, clock, tracer, randomHex, signingKey, bus, nodes, dispatcher, desired, epochs, writeInternal, logger, detectLog } = d;
  const r = config.remediation;
  const rules = loadRulesFile(config.paths.rules, config.paths.keys.rules);
  // rules scoped `edge` run on the nodes only; `both` run here too
  const engine = new RuleEngine(rules.filter((rule) => rule.scope !== 'edge'));
  new RuleMetrics(registry, engine, 'edgewatch_collector');
  const deliveries = new DeliveryJournal();
  const notifier = new WebhookNotifier(
    { webhooks: config.notify.webhooks, externalURL: config.notify.externalURL ?? `http://${hostname()}:${config.http.listen.port}` },
    { clock, timers: clock, http: new NodeHttpPost(), outbox, registry, logger: logger.child({ component: 'notify' }), journal: deliveries },
  );
  const spans = new DetectionSpans(tracer, randomHex);
  const incidents = new IncidentStore(state);
  const book: IncidentBook = new IncidentBook({
    store: incidents,
    evidence: storeEvidence(store),
    notify: (alerts) => notifier.notify(alerts),
    newId: () => randomUUID(),
    newTraceId: () => randomHex(16),
    fireSpan: (t, traceId) => spans.ruleFired(t, traceId),
    opened: (i) => void writeInternal([firedRecord(i)]).catch((err) => detectLog.warn('could not record the rule firing in its trace', { err })),
    metrics: new IncidentMetrics(registry, () => book.openIncidents()),
    logger: detectLog,
    maxNewPerMinute: config.remediation.maxNewIncidentsPerMinute,
    now: () => clock.now(),
  });
  // edge autonomy: the claim fence, the nodes' own incidents, and the signed edge rule set for them
  const edge = createEdgeSide({
    rules,
    ruleFileText: readConfigFile(config.paths.rules),
    claimGraceMs: config.remediation.edgeClaimGraceSeconds * 1000,
    nodes,
    state,
    key: signingKey,
    bus,
    store: incidents,
    book,
    notify: (alerts) => notifier.notify(alerts),
    forgetRule: (rule, key) => void engine.forget(rule, key),
    randomHex,
    registry,
    logger: detectLog,
    now: clock.now(),
  });
  const { remediator } = createRemediation(
    { guards: guardrailOptions(r), verifyMs: r.verifySeconds * 1000, migrationTimeoutMs: r.migrationTimeoutSeconds * 1000 },
    {
      book,
      registry,
      logger: detectLog,
      now: clock.now(),
      ports: {
        send: (req) => dispatcher.send(req),
        whenFinal: (id) => dispatcher.whenFinal(id),
        node: (n) => nodes.get(n),
        nodes: () => nodes.list(),
        desiredSpec: (n, t) => desired.get(n, t)?.spec,
        desiredTasks: (n) => desired.list(n).map((d) => d.task),
        raiseEpoch: (n) => epochs.raise(n),
        forgetRule: (rule, key) => void engine.forget(rule, key),
        notify: (alerts) => notifier.notify(alerts),
        randomHex,
        stepSpan: (name, i) => spans.step(name, i),
        edgeClaim: (i) => edge.fence.covering(i.labels.node, i.labels.task, i.rule, i.startedAt),
      },
    },
  );
  return { rules, engine, deliveries, notifier, spans, incidents, book, edge, remediator };
}
