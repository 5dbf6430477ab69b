import type { Registry } from 'prom-client';
import type { Clock, Timers } from '../../common/clock.js';
import { periodic, type Component } from '../../common/lifecycle.js';
import { errorOnChange, type Logger } from '../../common/logger.js';
import type { ExporterConfig } from '../config.js';
import type { RecordSink } from '../logs/pipeline.js';
import { Shipper, type ForwardClient } from './shipper.js';
import { Spool } from './spool.js';
import { SpoolMetrics } from './spool-metrics.js';

/** The spool and shipper of an exporter with `forward.address`, as a record sink plus lifecycle components. */
export interface LogShipping {
  sink: RecordSink;
  components: Component[];
  spool: Spool;
}

/**
 * Builds disk spool → fluent-logger shipping. Records reach the spool file within the event-loop turn
 * that read them (`defer` is setImmediate), so an exporter SIGKILL loses nothing it had read; the kernel's
 * page cache batches the device writes, and segments acked within seconds rarely reach an SD card at all.
 */
export function createLogShipping(
  config: ExporterConfig,
  client: ForwardClient | undefined,
  clock: Clock & Timers,
  defer: (fn: () => void) => void,
  registry: Registry,
  logger: Logger,
): LogShipping | undefined {
  const fwd = config.forward;
  if (!fwd || !client) return undefined;
  const log = logger.child({ component: 'shipper' });
  const metrics = new SpoolMetrics(registry, config.node);
  const spool = new Spool(config.spool.dir, { maxBytes: config.spool.maxBytes }, {
    dropped(records, reason) {
      metrics.spoolEvents.dropped(records, reason);
      log.warn('spool dropped records', { records, reason });
    },
    quarantined(bytes, path) {
      metrics.spoolEvents.quarantined(bytes, path);
      log.warn('damaged spool bytes quarantined', { bytes, path });
    },
  });
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
    start: () => persist.start(),
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
