import { errorOnChange, type Logger } from '../../common/logger.js';
import type { CollectorConfig } from '../config.js';
import { PgWebhookOutbox } from '../notify/pg-outbox.js';
import { SqliteWebhookOutbox } from '../notify/sqlite-outbox.js';
import type { WebhookOutbox } from '../notify/webhook-outbox.js';
import type { StateHandle } from '../state/sql-database.js';
import { StateDb } from '../state/state-db.js';
import type { EventStore } from './event-store.js';
import { PgDatabase } from './pg/pg-database.js';
import { PgEventStore } from './pg/pg-event-store.js';
import { redactUrl } from './pg/sync-pg.js';
import { SqliteEventStore } from './sqlite-store.js';
import { openStoreFile, storeFilesOf } from './store-file.js';

/** The collector's three stores, on SQLite files or in one PostgreSQL database. */
export interface CollectorStores {
  readonly kind: 'sqlite' | 'postgres';
  /** Where they are, for the start log line (no password). */
  readonly where: string;
  readonly store: EventStore;
  readonly state: StateHandle;
  readonly outbox: WebhookOutbox;
  /** Reloads what the log store keeps in memory (PostgreSQL: another replica may have written since). */
  resume(nowMs: number): void;
  close(): void;
}

/**
 * Opens the stores `store.url` (PostgreSQL, migrated first) or `store.path` (SQLite) names. `holder` is
 * this process's identity in the leader lease: on PostgreSQL, log writes go in only while it holds it.
 */
export function openStores(config: CollectorConfig, logger: Logger, nowMs: number, holder?: string): CollectorStores {
  const s = config.store;
  const retention = { maxAgeMs: s.retention.maxAgeHours * 3_600_000, maxBytes: s.retention.maxBytes, dedupWindowMs: s.dedupWindowHours * 3_600_000 };
  if (s.url) {
    const db = new PgDatabase({ url: s.url, ...(s.schema ? { schema: s.schema } : {}) }, `edgewatch-${config.cluster.replica}`);
    if (db.migration.applied.length > 0) logger.info('PostgreSQL schema migrated', { version: db.migration.version, applied: db.migration.applied.map((m) => `${m.version} ${m.name}`) });
    const store = new PgEventStore(db.pg, { ...retention, ...(holder ? { holder } : {}) }, nowMs);
    return {
      kind: 'postgres',
      where: `${redactUrl(s.url)}${s.schema ? ` (schema ${s.schema})` : ''}`,
      store,
      state: db,
      outbox: new PgWebhookOutbox(db.pg),
      resume: (now) => store.resume(now),
      close: () => db.close(),
    };
  }
  const paths = config.paths;
  const files = storeFilesOf(paths);
  const store = openStoreFile(files.store, () =>
    new SqliteEventStore({
      path: paths.store,
      synchronous: s.synchronous,
      segmentRecords: s.segmentRecords,
      ...retention,
      checkpoint: { intervalMs: 1000, onError: errorOnChange(logger.child({ component: 'store' }), 'store checkpoint failed') },
    }),
  );
  const state = openStoreFile(files.state, () => {
    const db = new StateDb(paths.state);
    db.verify();
    return db;
  });
  const outbox = openStoreFile(files.outbox, () => {
    const db = new SqliteWebhookOutbox(paths.outbox, s.synchronous);
    db.verify();
    return db;
  });
  return {
    kind: 'sqlite',
    where: paths.store,
    store,
    state,
    outbox,
    resume: () => undefined,
    close() {
      outbox.close();
      store.close();
      state.close();
    },
  };
}

/** Only the state (tokens, node identities, audit) of a collector config, for the CLI: PostgreSQL or state.db. */
export function openState(config: CollectorConfig): StateHandle & { close(): void } {
  if (config.store.url) return new PgDatabase({ url: config.store.url, ...(config.store.schema ? { schema: config.store.schema } : {}) }, 'edgewatch-cli');
  return new StateDb(config.paths.state);
}
