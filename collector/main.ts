import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Registry } from 'prom-client';
import { systemClock, type Clock, type Timers } from '../common/clock.js';
import { Lifecycle, type Component } from '../common/lifecycle.js';
import type { Logger } from '../common/logger.js';
import { idOnlyTracer, type Tracer } from '../common/tracing.js';
import { controlRoutes } from './api/control-routes.js';
import { CollectorHttpServer } from './api/http-server.js';
import { queryRoutes } from './api/query-routes.js';
import type { CollectorConfig } from './config.js';
import { createControlPlane, type ControlPlane } from './control/control-plane.js';
import { createDetection } from './detection.js';
import { ForwardServer } from './ingest/forward/forward-server.js';
import { CollectorMetrics } from './metrics/collector-metrics.js';
import { ingestPipeline } from './pipeline/ingest-pipeline.js';
import { internalWriter } from './pipeline/internal-events.js';
import { stage } from './pipeline/stage.js';
import { StateDb } from './state/state-db.js';
import type { EventStore } from './store/event-store.js';
import { RetentionLoop } from './store/retention-loop.js';
import { SqliteEventStore } from './store/sqlite-store.js';

/** A running collector: its ports, registry, store and control plane, and how to stop it. */
export interface RunningCollector {
  readonly httpPort: number;
  readonly forwardPort: number;
  readonly registry: Registry;
  readonly store: EventStore;
  readonly control: ControlPlane;
  readonly detection: ReturnType<typeof createDetection>;
  stop(): Promise<void>;
}

/** Options the composition root takes from its caller (the CLI passes the process's own). */
export interface CollectorRuntime {
  logger: Logger;
  clock?: Clock & Timers;
  /** OpenTelemetry when enabled (the CLI starts it from OTEL_* variables); trace ids only otherwise. */
  tracer?: Tracer;
}

/**
 * Composition root of the collector. Log events enter at the forward server, run the ingest pipeline
 * (normalise → dedup → persist → evaluate rules), rules open incidents, the remediator sends commands
 * through the control plane, and webhooks go out from the notifier.
 */
export async function startCollector(config: CollectorConfig, runtime: CollectorRuntime): Promise<RunningCollector> {
  const clock = runtime.clock ?? systemClock;
  const logger = runtime.logger;
  const registry = new Registry();
  const store = new SqliteEventStore({
    path: config.store.path,
    synchronous: config.store.synchronous,
    segmentRecords: config.store.segmentRecords,
    maxAgeMs: config.store.retention.maxAgeHours * 3_600_000,
    maxBytes: config.store.retention.maxBytes,
    dedupWindowMs: config.store.dedupWindowHours * 3_600_000,
  });
  const state = new StateDb(config.store.path === ':memory:' ? ':memory:' : join(dirname(config.store.path), 'state.db'));
  const metrics = new CollectorMetrics(registry, () => store.stats());

  // The pipeline feeds the control plane and the detection stages, and they write their own records
  // through it: the late-bound references break that cycle.
  let control: ControlPlane | undefined;
  let detection: ReturnType<typeof createDetection> | undefined;
  const pipeline = ingestPipeline({
    store,
    after: [
      stage('nodes-seen', (ctx, batch) => {
        const node = batch.events[0]?.node;
        if (node !== undefined) control?.logSeen(node, ctx.now);
        return batch;
      }),
      stage('detect', (ctx, batch) => (detection ? detection.evaluate.exec(ctx, batch) : batch)),
    ],
    observer: {
      stored: (input, records) => metrics.ingested(input, records),
      duplicate: () => metrics.duplicateChunk(),
      duplicateRecords: (records) => metrics.duplicateRecords(records),
      entryRejected: (reason) => metrics.rejected(reason),
    },
  });
  control = createControlPlane(config, {
    clock,
    registry,
    logger,
    state,
    writeInternal: internalWriter(pipeline, () => clock.now()),
    onSignals: (signals) => detection?.onSignals(signals),
    onTick: (now) => detection?.onTick(now),
  });
  const tracer = runtime.tracer ?? idOnlyTracer((n) => randomBytes(n).toString('hex'));
  detection = createDetection(config, { tracer, store, state, control, registry, clock, logger });

  const retention = new RetentionLoop(
    store,
    config.store.retention.checkIntervalSeconds * 1000,
    clock,
    clock,
    (r) => {
      metrics.retentionDeletedRecords('age', r.age);
      metrics.retentionDeletedRecords('size', r.size);
    },
    logger.child({ component: 'store' }),
  );
  const forward = new ForwardServer(config.forward, { pipeline, metrics, clock, timers: clock, logger: logger.child({ component: 'forward' }) });
  let ready = false;
  const http = new CollectorHttpServer(
    config.http.listen,
    [...detection.routes, queryRoutes(store, clock), controlRoutes(control)],
    registry,
    () => (ready ? { ok: true } : { ok: false, reason: 'starting' }),
    logger.child({ component: 'http' }),
  );
  const storeComponent: Component = {
    name: 'store',
    start() {},
    stop() {
      store.close();
      state.close();
    },
  };
  const lifecycle = new Lifecycle(logger);
  try {
    // Stopped in reverse: inputs stop (in-flight chunks finish and are acked) before the store closes.
    await lifecycle.start([storeComponent, retention, ...detection.components, control.component, http, forward]);
  } catch (err) {
    await lifecycle.stop();
    throw err;
  }
  ready = true;
  logger.info('collector started', { store: config.store.path, records: store.stats().records, broker: control.brokerUrl() });
  return {
    get httpPort() {
      return http.port;
    },
    get forwardPort() {
      return forward.port;
    },
    registry,
    store,
    control,
    detection,
    async stop() {
      ready = false;
      await lifecycle.stop();
    },
  };
}
