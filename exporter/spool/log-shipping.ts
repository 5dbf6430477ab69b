import type { Registry } from 'prom-client';
import type { Clock, Timers } from '../../common/clock.js';
import { periodic, type Component } from '../../common/lifecycle.js';
import { errorOnChange, type Logger } from '../../common/logger.js';
import type { ExporterConfig } from '../config.js';
import type { ProblemReporter } from '../health/conditions.js';
import type { RecordSink } from '../logs/pipeline.js';
import { Shipper, type ForwardClient } from './shipper.js';
import { Spool } from './spool.js';
import { GuardedSpool } from './spool-guard.js';
import { SpoolMetrics } from './spool-metrics.js';

/** The spool and shipper of an exporter with `forward.address`, as a record sink plus lifecycle components. */
export interface LogShipping {
  sink: RecordSink;
  components: Component[];
  spool: GuardedSpool;
}

/**
 * Builds disk spool → fluent-logger shipping. Records reach the spool file within the event-loop turn
 * that read them (`defer` is setImmediate), so an exporter SIGKILL loses nothing it had read; the kernel's
 * page cache batches the device writes, and segments acked within seconds rarely reach an SD card at all.
 * The spool sits behind a {@link GuardedSpool}: a disk that fills up, turns read-only or vanishes costs
 * records (counted), never the exporter; `problem` tells /readyz.
 */
export function createLogShipping(
  config: ExporterConfig,
  client: ForwardClient | undefined,
  clock: Clock & Timers,
  defer: (fn: () => void) => void,
  registry: Registry,
  logger: Logger,
  problem: ProblemReporter,
): LogShipping | undefined {
  const fwd = config.forward;
  if (!fwd || !client) return undefined;
  const log = logger.child({ component: 'shipper' });
  const metrics = new SpoolMetrics(registry, config.node);
  const events = {
    dropped(records: number, reason: 'spool_full' | 'corrupt' | 'spool_error') {
      metrics.spoolEvents.dropped(records, reason);
      if (reason !== 'spool_error') log.warn('spool dropped records', { records, reason });
    },
    quarantined(bytes: number, path: string) {
      metrics.spoolEvents.quarantined(bytes, path);
      log.warn('damaged spool bytes quarantined', { bytes, path });
    },
  };
  const spool = new GuardedSpool(
    () => new Spool(config.spool.dir, { maxBytes: config.spool.maxBytes }, events),
    { dir: config.spool.dir, maxBytes: config.spool.maxBytes, retryInitialMs: 1000, retryMaxMs: 30_000, logEveryMs: 30_000 },
    clock,
    { dropped: (n) => events.dropped(n, 'spool_error'), problem },
    logger.child({ component: 'spool' }),
  );
  metrics.attach(spool);
  const shipper = new Shipper(
    spool,
    client,
    { batchRecords: fwd.batchRecords, batchBytes: 4 * 1024 * 1024, drainRecordsPerSecond: config.spool.drainRecordsPerSecond, retryInitialMs: 500, retryMaxMs: fwd.retryMaxSeconds * 1000 },
    clock,
    metrics.shipperEvents,
    log,
  );
  const persist = periodic('spool-persist', clock, 1000, () => spool.persist(), errorOnChange(log, 'spool persist failed'));
  const spoolComponent: Component = {
    name: 'spool',
    start() {
      spool.start();
      persist.start();
    },
    async stop() {
      await persist.stop();
      spool.close();
    },
  };
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    spool.flush();
    shipper.wake();
  };
  return {
    spool,
    sink: {
      write(record) {
        spool.append(record);
        if (!flushQueued) {
          flushQueued = true;
          defer(flush);
        }
      },
    },
    components: [spoolComponent, shipper],
  };
}
