import { postgresDatabase, type SqlDatabase, type StateHandle } from '../../state/sql-database.js';
import { migrate, type MigrationResult } from './migrations.js';
import { SyncPg } from './sync-pg.js';

/** Where the collector's PostgreSQL is: `store.url` and the schema its tables live in. */
export interface PgLocation {
  url: string;
  schema?: string;
}

/**
 * The collector's PostgreSQL: one synchronous connection for the state classes, the outbox and the log
 * store, with the schema migrated when it opens. Replaces state.db, notify-outbox.db and collector.db.
 */
export class PgDatabase implements StateHandle {
  readonly pg: SyncPg;
  readonly db: SqlDatabase;
  readonly migration: MigrationResult;

  constructor(
    readonly location: PgLocation,
    applicationName = 'edgewatch-collector',
  ) {
    this.pg = new SyncPg({ url: location.url, ...(location.schema ? { schema: location.schema } : {}), applicationName });
    try {
      this.migration = migrate(this.pg, location.schema);
    } catch (err) {
      this.pg.close();
      throw err;
    }
    this.db = postgresDatabase(this.pg);
  }

  close(): void {
    this.pg.close();
  }
}
