import { PgQueryError, type SyncPg } from './sync-pg.js';

const DAY_MS = 86_400_000;

/** One day's partition of `log_records`. */
export interface Partition {
  name: string;
  /** First day covered (days since the epoch); the partition holds [day, day + 1) in epoch ms. */
  day: number;
}

/** The partition that holds records of day `day`, e.g. `log_records_20261207`. */
export function partitionName(day: number): string {
  return `log_records_${new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/** The day (since the epoch) of an epoch-ms time. */
export function dayOf(timeMs: number): number {
  return Math.floor(timeMs / DAY_MS);
}

/**
 * The daily partitions of `log_records` (declarative range partitioning on `time_ms`): created before the
 * first record of a day is written, dropped whole by retention (`DROP TABLE`, no row-by-row delete and
 * no vacuum debt).
 */
export class LogPartitions {
  private readonly days = new Set<number>();

  constructor(private readonly pg: SyncPg) {}

  /** Reads which partitions exist (at start, and when this replica takes over). */
  load(): void {
    this.days.clear();
    const rows = this.pg.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'log_records' AND p.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`,
    ).rows;
    for (const r of rows) {
      const m = /^log_records_(\d{4})(\d{2})(\d{2})$/.exec(r.name);
      if (m) this.days.add(dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
    }
  }

  /** Creates the partitions of the days in `times` that do not exist yet (outside any transaction). */
  ensure(days: Iterable<number>): void {
    for (const day of days) {
      if (this.days.has(day)) continue;
      try {
        this.pg.query(`CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF log_records FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`);
      } catch (err) {
        // another replica created it between our check and our CREATE (42P07 duplicate_table)
        if (!(err instanceof PgQueryError && (err.sqlState === '42P07' || err.sqlState === '23505'))) throw err;
      }
      this.days.add(day);
    }
  }

  /** Existing partitions, oldest first. */
  list(): Partition[] {
    return [...this.days].sort((a, b) => a - b).map((day) => ({ day, name: partitionName(day) }));
  }

  /** Drops one partition; returns the records and bytes it held. */
  drop(p: Partition): { records: number; bytes: number } {
    const r = this.pg.query<{ n: number; b: number | null }>(`SELECT count(*) AS n, sum(length(body)) AS b FROM ${p.name}`).rows[0];
    this.pg.query(`DROP TABLE IF EXISTS ${p.name}`);
    this.days.delete(p.day);
    return { records: r?.n ?? 0, bytes: r?.b ?? 0 };
  }

  /** Epoch ms where a partition's range ends. */
  static endOf(p: Partition): number {
    return (p.day + 1) * DAY_MS;
  }
}
