import type Database from 'better-sqlite3';
import type { Event } from '../events/event.js';
import { DeliveryMarks } from './delivery-marks.js';

/** Runs of consecutive spool sequence numbers stored in one block: `[sid, lo, hi]`. */
export type DeliveryRuns = Array<[string, number, number]>;

/** The spool runs of a block's events (exporter records only); undefined when it has none. */
export function deliveryRuns(events: readonly Event[]): DeliveryRuns | undefined {
  let runs: DeliveryRuns | undefined;
  let last: [string, number, number] | undefined;
  for (const e of events) {
    if (e.sid === undefined || e.seq === undefined) continue;
    if (last && last[0] === e.sid && e.seq === last[2] + 1) last[2] = e.seq;
    else (runs ??= []).push((last = [e.sid, e.seq, e.seq]));
  }
  return runs;
}

/**
 * Which exporter records are stored, durably, without a write per chunk: each block row carries the
 * runs it stored (`blocks.marks`, written with the block), and every retention pass folds the runs of
 * the blocks since the last pass into one `deliveries` row per spool. A restart loads the rows, then
 * replays the marks of the blocks written after the last fold. Marks reach memory only after their
 * transaction commits, so a failed write never hides the resend that repairs it.
 */
export class SqliteDeliveries {
  private readonly marks = new DeliveryMarks();
  /** Spools with marks not yet folded into their row, and when each was last seen. */
  private readonly unfolded = new Map<string, number>();
  private readonly sql;

  constructor(private readonly db: Database.Database) {
    this.sql = {
      upsert: db.prepare('INSERT INTO deliveries (sid, ranges, seen_ms) VALUES (?, ?, ?) ON CONFLICT(sid) DO UPDATE SET ranges = excluded.ranges, seen_ms = excluded.seen_ms'),
      stale: db.prepare<[number], { sid: string }>('SELECT sid FROM deliveries WHERE seen_ms < ?'),
      deleteStale: db.prepare('DELETE FROM deliveries WHERE seen_ms < ?'),
      foldedThrough: db.prepare<[], { value: number }>("SELECT value FROM store_meta WHERE key = 'deliveries_through'"),
      setFoldedThrough: db.prepare("INSERT INTO store_meta (key, value) VALUES ('deliveries_through', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    };
  }

  has(sid: string, seq: number): boolean {
    return this.marks.has(sid, seq);
  }

  /** Takes the runs of committed blocks into memory. */
  apply(runs: DeliveryRuns, nowMs: number): void {
    for (const [sid, lo, hi] of runs) {
      for (let seq = lo; seq <= hi; seq++) this.marks.add(sid, seq);
      this.unfolded.set(sid, nowMs);
    }
  }

  /**
   * Writes one row per spool seen since the last fold (covering every block up to `throughBlock`), then
   * forgets spools silent for the whole dedup window: they have nothing left to resend.
   */
  fold(throughBlock: number, dedupCutoffMs: number): void {
    this.db.transaction(() => {
      for (const [sid, seenMs] of this.unfolded) this.sql.upsert.run(sid, JSON.stringify(this.marks.ranges(sid)), seenMs);
      this.sql.setFoldedThrough.run(throughBlock);
      for (const row of this.sql.stale.all(dedupCutoffMs)) this.marks.forget(row.sid);
      this.sql.deleteStale.run(dedupCutoffMs);
    })();
    this.unfolded.clear();
  }

  /** Every block is gone (and its marks folded): block ids start again from 1, and so does the replay. */
  restartIds(): void {
    this.sql.setFoldedThrough.run(0);
  }

  /** Restores the marks at startup: folded rows, then the blocks written after the last fold. */
  load(nowMs: number): void {
    for (const d of this.db.prepare('SELECT sid, ranges FROM deliveries').iterate() as Iterable<{ sid: string; ranges: string }>) {
      this.marks.load(d.sid, JSON.parse(d.ranges) as Array<[number, number]>);
    }
    const through = this.sql.foldedThrough.get()?.value ?? 0;
    const rows = this.db.prepare('SELECT marks FROM blocks WHERE id > ? AND marks IS NOT NULL ORDER BY id').iterate(through) as Iterable<{ marks: string }>;
    for (const row of rows) this.apply(JSON.parse(row.marks) as DeliveryRuns, nowMs);
  }
}
