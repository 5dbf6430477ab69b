import { Counter, Gauge, type Registry } from 'prom-client';
import { registerProcessMetrics } from '../../common/process-metrics.js';
import type { StoreStats } from '../store/event-store.js';

/** Why the collector refused input: a closed set, so it is safe as a metric label. */
export const REJECT_REASONS = [
  'malformed',
  'frame_too_large',
  'too_deep',
  'decompressed_too_large',
  'bad_compression',
  'unsupported_mode',
  'bad_entry',
  'bad_time',
  'auth_failed',
  'handshake_timeout',
  'handshake_required',
  'too_many_connections',
  'too_many_connections_per_peer',
  'first_frame_timeout',
  'frame_timeout',
  'too_many_entries',
  'buffer_full',
  'tag_not_allowed',
  'store_failed',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The collector's own metrics; every series is pre-created so dashboards see zeros, not gaps. */
export class CollectorMetrics {
  static readonly names = [
    'edgewatch_collector_ingested_records_total',
    'edgewatch_collector_rejected_total',
    'edgewatch_collector_duplicate_chunks_total',
    'edgewatch_collector_duplicate_records_total',
    'edgewatch_collector_forward_connections',
    'edgewatch_collector_store_records',
    'edgewatch_collector_store_bytes',
    'edgewatch_collector_store_retention_deleted_total',
  ];
  private readonly ingestedTotal: Counter<'input'>;
  private readonly rejectedTotal: Counter<'reason'>;
  private readonly duplicates: Counter;
  private readonly connections: Gauge;
  private readonly retentionDeleted: Counter<'reason'>;

  constructor(registry: Registry, storeStats: () => StoreStats) {
    const registers = [registry];
    this.ingestedTotal = new Counter({
      name: 'edgewatch_collector_ingested_records_total',
      help: 'Records stored durably, by input.',
      labelNames: ['input'],
      registers,
    });
    this.ingestedTotal.inc({ input: 'forward' }, 0);
    this.rejectedTotal = new Counter({
      name: 'edgewatch_collector_rejected_total',
      help: 'Frames, entries and connections refused, by reason.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of REJECT_REASONS) this.rejectedTotal.inc({ reason }, 0);
    this.duplicates = new Counter({
      name: 'edgewatch_collector_duplicate_chunks_total',
      help: 'Forward chunks received again after they were stored (acked, not stored twice).',
      registers,
    });
    this.connections = new Gauge({ name: 'edgewatch_collector_forward_connections', help: 'Open forward-protocol connections.', registers });
    new Gauge({
      name: 'edgewatch_collector_store_records',
      help: 'Records held by the correlation store.',
      registers,
      collect() {
        this.set(storeStats().records);
      },
    });
    new Gauge({
      name: 'edgewatch_collector_store_bytes',
      help: 'Bytes of log blocks and trace indexes held by the correlation store (what store.retention.maxBytes limits).',
      registers,
      collect() {
        this.set(storeStats().bytes);
      },
    });
    this.retentionDeleted = new Counter({
      name: 'edgewatch_collector_store_retention_deleted_total',
      help: 'Records deleted by retention, by reason (age or size).',
      labelNames: ['reason'],
      registers,
    });
    this.retentionDeleted.inc({ reason: 'age' }, 0);
    this.retentionDeleted.inc({ reason: 'size' }, 0);
    this.duplicateRecordsTotal = new Counter({
      name: 'edgewatch_collector_duplicate_records_total',
      help: 'Exporter records received again after they were stored (a resend after a lost ack), dropped.',
      registers,
    });
    registerProcessMetrics(registry);
  }

  private readonly duplicateRecordsTotal: Counter;

  duplicateRecords(records: number): void {
    this.duplicateRecordsTotal.inc(records);
  }

  ingested(input: string, records: number): void {
    if (records > 0) this.ingestedTotal.inc({ input }, records);
  }

  rejected(reason: RejectReason, count = 1): void {
    this.rejectedTotal.inc({ reason }, count);
  }

  duplicateChunk(): void {
    this.duplicates.inc();
  }

  connectionOpened(): void {
    this.connections.inc();
  }

  connectionClosed(): void {
    this.connections.dec();
  }

  retentionDeletedRecords(reason: 'age' | 'size', records: number): void {
    if (records > 0) this.retentionDeleted.inc({ reason }, records);
  }
}
