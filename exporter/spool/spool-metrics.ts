import { Counter, Gauge, type Registry } from 'prom-client';
import type { ShipperEvents } from './shipper.js';
import type { SpoolEvents, SpoolReader } from './spool.js';

/** Spool and shipping metrics (the agent's own), with the events that move them. */
export class SpoolMetrics {
  static readonly names = [
    'edgewatch_spool_records',
    'edgewatch_spool_bytes',
    'edgewatch_spool_capacity_bytes',
    'edgewatch_shipped_records_total',
    'edgewatch_dropped_records_total',
    'edgewatch_spool_quarantined_bytes_total',
    'edgewatch_ship_failures_total',
    'edgewatch_forward_connected',
  ];
  readonly spoolEvents: SpoolEvents;
  readonly shipperEvents: ShipperEvents;
  private spool: Pick<SpoolReader, 'stats'> | undefined;

  constructor(registry: Registry, node: string) {
    const registers = [registry];
    const labelNames = ['node'] as const;
    const l = { node };
    const stats = () => this.spool?.stats();
    new Gauge({ name: 'edgewatch_spool_records', help: 'Log records in the disk spool awaiting an ack.', labelNames, registers, collect() { this.set(l, stats()?.records ?? 0); } });
    new Gauge({ name: 'edgewatch_spool_bytes', help: 'Bytes the disk spool uses.', labelNames, registers, collect() { this.set(l, stats()?.bytes ?? 0); } });
    new Gauge({ name: 'edgewatch_spool_capacity_bytes', help: 'Size cap of the disk spool (spool.maxBytes).', labelNames, registers, collect() { this.set(l, stats()?.capacityBytes ?? 0); } });
    const shipped = new Counter({ name: 'edgewatch_shipped_records_total', help: 'Log records delivered to the collector and acked.', labelNames, registers });
    const dropped = new Counter({ name: 'edgewatch_dropped_records_total', help: 'Log records lost: spool_full (the cap dropped the oldest segment), corrupt (damaged on disk) or spool_error (the disk refused a write: full, read-only or removed).', labelNames: ['node', 'reason'], registers });
    const quarantined = new Counter({ name: 'edgewatch_spool_quarantined_bytes_total', help: 'Damaged spool bytes moved to quarantine/ (a torn write after a power cut).', labelNames, registers });
    const failures = new Counter({ name: 'edgewatch_ship_failures_total', help: 'Failed delivery attempts (connection errors, missing acks); each is retried.', labelNames, registers });
    const connected = new Gauge({ name: 'edgewatch_forward_connected', help: '1 when the last delivery to the collector succeeded.', labelNames, registers });
    shipped.inc(l, 0);
    dropped.inc({ ...l, reason: 'spool_full' }, 0);
    dropped.inc({ ...l, reason: 'corrupt' }, 0);
    dropped.inc({ ...l, reason: 'spool_error' }, 0);
    quarantined.inc(l, 0);
    failures.inc(l, 0);
    connected.set(l, 0);
    this.spoolEvents = {
      dropped: (n, reason) => dropped.inc({ ...l, reason }, n),
      quarantined: (bytes) => quarantined.inc(l, bytes),
    };
    this.shipperEvents = {
      shipped: (n) => {
        shipped.inc(l, n);
        connected.set(l, 1);
      },
      failed: () => failures.inc(l),
      connected: (up) => connected.set(l, up ? 1 : 0),
    };
  }

  /** The spool whose depth the gauges read at scrape time. */
  attach(spool: Pick<SpoolReader, 'stats'>): void {
    this.spool = spool;
  }
}
