import { randomBytes } from 'node:crypto';
import { Registry } from 'prom-client';
import { ensureKeyPair, readSigningKey } from '../common/adapters/key-files.js';
import { ensureSecretKey } from '../common/adapters/secret-key-file.js';
import { withoutPassword } from '../common/adapters/mqtt-bus.js';
import { systemClock, type Clock, type Timers } from '../common/clock.js';
import { Lifecycle, periodic, type Component } from '../common/lifecycle.js';
import { EdgewatchError } from '../common/errors.js';
import { errorOnChange, type Logger } from '../common/logger.js';
import { idOnlyTracer, type Tracer } from '../common/tracing.js';
import { cloudPresence as createCloudPresence } from './edge/cloud-presence.js';
import { HeldReports } from './edge/held-reports.js';
import { AuditLog } from './audit/audit-log.js';
import { forwardHandshake } from './auth/forward-senders.js';
import { NodeCredentials } from './auth/node-credentials.js';
import { TokenStore } from './auth/token-store.js';
import { loadDesiredFile } from './desired/desired-file.js';
import { DesiredSpecs, syncDesiredFile } from './desired/desired-specs.js';
import { SpecDrift } from './desired/spec-drift.js';
import type { CollectorConfig } from './config.js';
import type { CommandDispatcher } from './control/command-dispatcher.js';
import { CommandLog } from './control/command-log.js';
import { commandTrail } from './control/command-trail.js';
import { ControlPlaneMetrics } from './control/control-metrics.js';
import { ControlPlane } from './control/control-plane.js';
import { NodeRegistry } from './control/node-registry.js';
import { httpApi } from './main-api.js';
import { commandDispatcher, controlBus } from './main-control.js';
import { detectionSide } from './main-detection.js';
import { ForwardServer } from './ingest/forward/forward-server.js';
import { CollectorMetrics } from './metrics/collector-metrics.js';
import { detectionBatch, detectionPipeline } from './pipeline/detection-pipeline.js';
import { ingestPipeline } from './pipeline/ingest-pipeline.js';
import { internalWriter } from './pipeline/internal-events.js';
import { stage } from './pipeline/stage.js';
import { EpochStore } from './state/state-db.js';
import type { EventStore } from './store/event-store.js';
import { RetentionLoop } from './store/retention-loop.js';
import { GroupCommit } from './store/group-commit.js';
import { openStores } from './store/open-stores.js';
import { clusterRoutes } from './cluster/cluster-routes.js';
import { registerClusterMetrics } from './cluster/cluster-metrics.js';
import { commandEpoch } from './cluster/fencing.js';
import { leaderRetains, leadershipOf } from './cluster/leadership-of.js';
import { notLeaderReason, type Leadership } from './cluster/leadership.js';
import { leaderSide } from './cluster/leader-side.js';

/** A running collector: its ports, registry, store, nodes and commands, and how to stop it. */
export interface RunningCollector {
  readonly httpPort: number;
  readonly forwardPort: number;
  readonly registry: Registry;
  readonly store: EventStore;
  readonly nodes: NodeRegistry;
  readonly dispatcher: CommandDispatcher;
  /** Whether this collector leads (always, for the one SQLite collector), and who does. */
  readonly leadership: Leadership;
  /** The broker URL edge exporters on this machine should use (the embedded broker's actual port). */
  brokerUrl(): string | undefined;
  stop(): Promise<void>;
}

/** Options the composition root takes from its caller (the CLI passes the process's own). */
export interface CollectorRuntime {
  logger: Logger;
  clock?: Clock & Timers;
  /** OpenTelemetry when enabled (the CLI starts it from OTEL_* variables); trace ids only otherwise. */
  tracer?: Tracer;
}

/** How often leases, rule timers and verification deadlines advance without a signal. */
const TICK_MS = 1000;

/**
 * Composition root of the collector: the only place that builds adapters (stores, broker, MQTT client,
 * HTTP and forward servers, webhook transport) and wires them to the core, with its three parts beside it:
 * main-control.ts (broker, bus, command signer), main-detection.ts (rules, incidents, webhooks, edge side,
 * remediation) and main-api.ts (HTTP API and console). Read it top to bottom: a log
 * frame enters at the forward server, runs the ingest pipeline (normalise → dedup → persist), then the
 * detection pipeline (evaluate rules → open incidents → remediate), whose commands leave through the
 * dispatcher on the MQTT bus; webhooks leave from the notifier.
 */
export async function startCollector(config: CollectorConfig, runtime: CollectorRuntime): Promise<RunningCollector> {
  const clock = runtime.clock ?? systemClock;
  const logger = runtime.logger;
  const paths = config.paths;
  const registry = new Registry();
  const randomHex = (n: number) => randomBytes(n).toString('hex');
  const tracer = runtime.tracer ?? idOnlyTracer(randomHex);

  // adapters: files (or PostgreSQL) and the network; a store that cannot be used stops the start with the way out
  // this process's identity in the leader lease: log writes in PostgreSQL are fenced by it
  const holder = `${config.cluster.replica}/${randomHex(6)}`;
  const stores = openStores(config, logger, clock.now(), holder);
  const { store, state, outbox } = stores;
  const leadership = leadershipOf(config, stores.kind, logger, clock, () => performance.now(), () => http.port, holder);
  const controlLog = logger.child({ component: 'control' });
  if (paths.generatedKeysDir && ensureKeyPair(paths.generatedKeysDir).created) {
    controlLog.warn('commands.privateKeyFile is not set: generated a command key pair; give every exporter the public key', { publicKeyFile: `${paths.generatedKeysDir}/command.pub` });
  }
  if (stores.kind === 'postgres' && (paths.generatedKeysDir || !config.nodes.credentialsKeyFile)) {
    controlLog.warn('store.url is set but commands.privateKeyFile or nodes.credentialsKeyFile is not: every replica must use the same key files, or edges refuse the commands of some and nodes cannot log in to others', { replica: config.cluster.replica });
  }
  const signingKey = readSigningKey(paths.commandKey, paths.keys.commandKey);
  const credentials = new NodeCredentials(state, paths.nodeKey === ':memory:' ? randomBytes(32) : ensureSecretKey(paths.nodeKey, 'nodes.credentialsKeyFile'), clock);
  const nodes = new NodeRegistry(config.nodes.leaseSeconds * 1000);
  const controlMetrics = new ControlPlaneMetrics(registry, nodes);
  const { broker, bus, brokerUrl } = controlBus(config, { credentials, clustered: leadership.clustered, refused: (reason) => controlMetrics.brokerRefused(reason), logger: controlLog });
  const metrics = new CollectorMetrics(registry, () => store.stats());

  // the control plane: nodes, epochs and signed commands
  const epochs = new EpochStore(state);
  const commandLog = new CommandLog(state);
  const tokens = new TokenStore(state, clock);
  const desired = new DesiredSpecs(state, clock);
  if (config.desired.file) syncDesiredFile(desired, loadDesiredFile(config.desired.file));
  const audit = new AuditLog(state, clock);
  let writeInternal: ReturnType<typeof internalWriter> = async () => undefined;
  const dispatcher = commandDispatcher(config, {
    bus,
    signingKey,
    epoch: (node) => commandEpoch(leadership.epoch(), epochs.epoch(node)),
    fenced: () => notLeaderReason(leadership),
    isOnline: (node) => nodes.get(node)?.status === 'online',
    desired,
    changed: commandTrail({ log: commandLog, audit, metrics: controlMetrics, clock, logger: controlLog, writeInternal: (r) => writeInternal(r) }),
    clock,
    randomHex,
    logger: controlLog,
  });

  // detection: rules → incidents → remediation, and webhooks for every incident change
  const detectLog = logger.child({ component: 'detection' });
  const { rules, engine, deliveries, notifier, spans, incidents, book, edge, remediator } = detectionSide(config, {
    store,
    state,
    outbox,
    registry,
    clock,
    tracer,
    randomHex,
    signingKey,
    bus,
    nodes,
    dispatcher,
    desired,
    epochs,
    writeInternal: (records) => writeInternal(records),
    logger,
    detectLog,
  });
  const detection = detectionPipeline({ engine, book, remediator, spans, logger: detectLog, fence: edge.fence });
  // only the leader detects and acts; a standby keeps its node registry warm and serves reads
  const detect = async (batch: Parameters<typeof detectionBatch>[0], now = clock.now()): Promise<void> => {
    if (!leadership.isLeader()) return;
    await detection.exec({ now }, detectionBatch(batch));
  };
  detectLog.info('rules loaded', { file: paths.rules, rules: engine.ruleNames, dryRun: config.remediation.dryRun });

  // ingest: every stored frame goes on to detection once
  const committer = new GroupCommit(store, clock, { windowMs: config.store.groupCommitMs, maxRecords: 5000 });
  const ingest = ingestPipeline({
    store,
    append: (r) => committer.append(r),
    after: [
      stage('nodes-seen', (ctx, batch) => {
        // the collector's own records (commands, rule firings) name nodes but say nothing of their health
        const node = batch.input === 'internal' ? undefined : batch.events[0]?.node;
        if (node !== undefined) nodes.logSeen(node, ctx.now);
        return batch;
      }),
      stage('detect', async (ctx, batch) => (await detect({ input: batch.input, events: batch.events }, ctx.now), batch)),
    ],
    observer: {
      stored: (input, records) => metrics.ingested(input, records),
      duplicate: () => metrics.duplicateChunk(),
      duplicateRecords: (records) => metrics.duplicateRecords(records),
      entryRejected: (reason) => metrics.rejected(reason),
    },
  });
  writeInternal = internalWriter(ingest, () => clock.now());
  const drift = new SpecDrift((node, task) => desired.get(node, task)?.spec);
  const control = new ControlPlane({
    bus,
    nodes,
    dispatcher,
    epochs,
    metrics: controlMetrics,
    clock,
    logger: controlLog,
    inspect: (node, tasks, now) => drift.check(node, tasks, now),
    onSignals: (signals, now) => void detect({ signals }, now).catch((err) => detectLog.error('rule evaluation failed', { err })),
    // the leader alone opens incidents from the nodes' reports and signs their rule sets; every replica
    // receives a report, and a standby keeps it for when it takes over (collector/edge/held-reports.ts)
    edgeIncidents: (node, payload, now) => (leadership.isLeader() ? edge.reports.handle(node, payload, now) : (heldReports.keep(node, payload, now), true)),
    ruleSetReported: (node, reported, now) => void (leadership.isLeader() && edge.ruleSets.offer(node, reported, now)),
  });
  const cloudPresence = createCloudPresence(bus, leadership, controlLog);
  const heldReports = new HeldReports(1000, 600_000);
  const ticker = periodic(
    'tick',
    clock,
    TICK_MS,
    () => {
      const now = clock.now();
      control.tick(now);
      // the leader alone acts on the nodes' reports; a standby's incident list follows what the leader writes
      if (leadership.isLeader()) edge.tick(now);
      else book.reload();
      return detect({ tick: true }, now);
    },
    errorOnChange(detectLog, 'periodic tick failed'),
  );

  // servers: inputs last, so they stop first (in-flight chunks finish and are acked before the store closes)
  const retention = new RetentionLoop(leaderRetains(store, leadership), config.store.retention.checkIntervalSeconds * 1000, clock, clock, (res) => {
    metrics.retentionDeletedRecords('age', res.age);
    metrics.retentionDeletedRecords('size', res.size);
  }, logger.child({ component: 'store' }));
  const forwardServer = new ForwardServer(config.forward, { pipeline: ingest, handshake: forwardHandshake(config.forward, credentials), metrics, clock, timers: clock, logger: logger.child({ component: 'forward' }) });
  let ready = false;
  const http = httpApi(config, {
    store,
    book,
    incidents,
    nodes,
    dispatcher,
    commandLog,
    tokens,
    audit,
    desired,
    rules,
    deliveries,
    onAlerts: (signals) => {
      const standby = notLeaderReason(leadership);
      if (standby !== undefined) throw new EdgewatchError('EW_NOT_LEADER', standby);
      return detect({ signals });
    },
    notLeader: () => notLeaderReason(leadership),
    cluster: clusterRoutes(leadership, { leaseSeconds: config.cluster.leaseSeconds, renewSeconds: config.cluster.renewSeconds }, () => (ready ? { ok: true } : { ok: false, reason: 'starting' })),
    ready: () => (ready ? { ok: true } : { ok: false, reason: 'starting' }),
    registry,
    clock,
    logger,
  });
  const storeComponent: Component = {
    name: 'store',
    start() {},
    stop() {
      committer.commit();
      stores.close();
    },
  };
  // what the leader alone runs, resumed from the database whenever this replica takes over
  registerClusterMetrics(registry, leadership);
  const { notifierStop, forward } = leaderSide({ leadership, clock, epochs, stores, book, remediator, notifier, forwardServer, logger: detectLog, forwardErrors: errorOnChange(logger.child({ component: 'forward' }), 'forward input could not start') });
  // after the takeover above (incidents reloaded): the reports a standby kept while no replica led
  leadership.on({ elected: () => void heldReports.drain(clock.now(), (node, payload, at) => edge.reports.handle(node, payload, at)), deposed() {} });

  const lifecycle = new Lifecycle(logger);
  try {
    // the broker first, so the bus can name its port; the control plane subscribes before the bus connects.
    // The lone collector leads before any input starts (nothing it receives is missed by the rules); replicas
    // try for the lease once their API is up, so the address they advertise has its port
    const sole = leadership.clustered ? [] : [leadership.component];
    const lease = leadership.clustered ? [leadership.component] : [];
    await lifecycle.start([storeComponent, ...sole, ...(broker ? [broker] : []), retention, notifierStop, control, bus, cloudPresence, ticker, http, ...lease, forward]);
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
  ready = true;
  logger.info('collector started', { store: stores.where, records: store.stats().records, broker: withoutPassword(brokerUrl() ?? ''), replica: leadership.replica, role: leadership.isLeader() ? 'leader' : 'standby' });
  return {
    get httpPort() {
      return http.port;
    },
    get forwardPort() {
      return forwardServer.port;
    },
    leadership,
    registry,
    store,
    nodes,
    dispatcher,
    brokerUrl,
    async stop() {
      ready = false;
      await lifecycle.stop();
    },
  };
}
