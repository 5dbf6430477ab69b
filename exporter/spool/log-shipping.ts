import type { Registry } from 'prom-client';
import { every, type Clock, type Timers } from '../../common/clock.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import { FluentForwardClient } from '../adapters/fluent-forward-client.js';
import type { ExporterConfig } from '../config.js';
import type { RecordSink } from '../logs/pipeline.js';
import { Shipper } from './shipper.js';
import { Spool } from './spool.js';
import { SpoolMetrics } from './spool-metrics.js';

/** The spool and shipper of an exporter with `forward.address`, as a record sink plus lifecycle components. */
export interface LogShipping {
  sink: RecordSink;
  components: Component[];
  spool: Spool;
}

/** Builds disk spool → fluent-logger shipping; records are written every `spool.flushIntervalMs`. */
export function createLogShipping(config: ExporterConfig, clock: Clock & Timers, registry: Registry, logger: Logger): LogShipping | undefined {
  const fwd = config.forward;
  if (!fwd) return undefined;
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
  const client = new FluentForwardClient({
    host: fwd.address.host,
    port: fwd.address.port,
    node: config.node,
    tls: fwd.tls,
    flushIntervalMs: fwd.flushIntervalMs,
    ackTimeoutMs: fwd.ackTimeoutMs,
    ...(fwd.sharedKey ? { sharedKey: fwd.sharedKey } : {}),
  });
  const shipper = new Shipper(
    spool,
    client,
    { batchRecords: fwd.batchRecords, batchBytes: 4 * 1024 * 1024, drainRecordsPerSecond: config.spool.drainRecordsPerSecond, retryInitialMs: 500, retryMaxMs: fwd.retryMaxSeconds * 1000 },
    clock,
    metrics.shipperEvents,
    log,
  );
  let stopTimers: Array<() => void> = [];
  const spoolComponent: Component = {
    name: 'spool',
    start() {
      stopTimers = [
        every(clock, config.spool.flushIntervalMs, () => spool.flush()),
        every(clock, 1000, () => spool.persist()),
      ];
    },
    stop() {
      for (const s of stopTimers) s();
      spool.close();
    },
  };
  return {
    spool,
    sink: {
      write(record) {
        spool.append(record);
        shipper.wake();
      },
    },
    components: [spoolComponent, shipper],
  };
}
