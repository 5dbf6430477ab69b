import { compareEventTime, type Event } from '../../events/event.js';
import { DeliveryMarks } from '../delivery-marks.js';
import type { AppendRequest, EventStore, LogQuery, RetentionResult, StoreStats, StoredBatch } from '../event-store.js';
import { deliveryRuns, type DeliveryRuns } from '../sqlite-deliveries.js';
import { dayOf, LogPartitions } from './log-partitions.js';
import { PgQueryError, type SyncPg } from './sync-pg.js';

/** Options of the PostgreSQL log store; ages in ms, sizes in bytes (of record bodies). */
export interface PgEventStoreOptions {
  maxAgeMs: number;
  maxBytes: number;
  dedupWindowMs: number;
  /** The lease holder this process is: group commits go in only while it holds the lease (unset: always). */
  holder?: string;
}

/**
 * One group commit as one statement: $1 chunk ids (JSON array) of senders without spool ids, $2 now,
 * $3 rows `[time, subMsNanos, node, task, level, traceId, body, chunkId]`, $4 spool runs `[sid, lo, hi]`,
 * $5 the lease holder this process is. A row goes in when it has no chunk id or its chunk id was inserted
 * just now (not seen before), and only while $5 holds the lease: a deposed leader's late write (a paused
 * process waking with a batch in hand) is refused, so its senders resend to the leader.
 */
const APPEND_SQL = `
WITH fence AS (
  -- FOR SHARE: a takeover's lease update waits for this write to commit, so the new leader reads it
  SELECT 1 FROM leader_lease WHERE name = 'collector' AND holder = $5 FOR SHARE
), chunks AS (
  INSERT INTO log_chunks (chunk_id, received_ms) SELECT c, $2 FROM json_array_elements_text($1::json) AS c
  WHERE $5::text IS NULL OR EXISTS (SELECT 1 FROM fence)
  ON CONFLICT DO NOTHING RETURNING chunk_id
), records AS (
  INSERT INTO log_records (time_ms, sub_ms_nanos, node, task, level, trace_id, body)
  SELECT (r->>0)::bigint, (r->>1)::int, r->>2, r->>3, r->>4, r->>5, r->>6 FROM json_array_elements($3::json) AS r
  WHERE ($5::text IS NULL OR EXISTS (SELECT 1 FROM fence)) AND (r->>7 IS NULL OR r->>7 IN (SELECT chunk_id FROM chunks))
  RETURNING 1
), runs AS (
  INSERT INTO log_deliveries (sid, lo, hi, stored_ms)
  SELECT d->>0, (d->>1)::bigint, (d->>2)::bigint, $2 FROM json_array_elements($4::json) AS d
  WHERE $5::text IS NULL OR EXISTS (SELECT 1 FROM fence)
  RETURNING 1
)
SELECT false AS fenced, chunk_id FROM chunks
UNION ALL SELECT true, NULL WHERE NOT ($5::text IS NULL OR EXISTS (SELECT 1 FROM fence))`;

/** JSON of an event; 64-bit integers from msgpack become strings. */
function encode(e: Event): string {
  return JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/**
 * The correlation store in PostgreSQL: a row per record in `log_records` (partitioned by day), written
 * by one multi-row `INSERT ... SELECT FROM json_array_elements($1)` per group commit; trace lookup by a partial index
 * on `(trace_id, time_ms, sub_ms_nanos)` (migration 6), log queries by `(node, task, time_ms)` and `time_ms`. Resends are caught as in SQLite:
 * chunk ids of other senders in `log_chunks`, exporter spool runs in `log_deliveries` (folded to a few
 * rows per spool by retention) and in memory for the dedup stage.
 */
export class PgEventStore implements EventStore {
  private readonly marks = new DeliveryMarks();
  /** Spools with marks not folded into their rows yet, and when each was last seen. */
  private readonly unfolded = new Map<string, number>();
  private readonly partitions: LogPartitions;
  private records = 0;
  private bytes = 0;

  constructor(
    private readonly pg: SyncPg,
    private readonly options: PgEventStoreOptions,
    nowMs: number,
  ) {
    this.partitions = new LogPartitions(pg);
    this.resume(nowMs);
  }

  /** Reloads partitions, totals and delivery marks from the database (at start and on taking over ingest). */
  resume(nowMs: number): void {
    this.partitions.load();
    const t = this.pg.query<{ n: number; b: number | null }>('SELECT count(*) AS n, sum(length(body)) AS b FROM log_records').rows[0];
    this.records = t?.n ?? 0;
    this.bytes = t?.b ?? 0;
    const rows = this.pg.query<{ sid: string; lo: number; hi: number }>('SELECT sid, lo, hi FROM log_deliveries WHERE stored_ms >= $1 ORDER BY sid, lo', [nowMs - this.options.dedupWindowMs]).rows;
    for (const r of rows) for (let seq = r.lo; seq <= r.hi; seq++) this.marks.add(r.sid, seq);
  }

  delivered(sid: string, seq: number): boolean {
    return this.marks.has(sid, seq);
  }

  append(batch: StoredBatch, chunkId: string | undefined, nowMs: number): { duplicate: boolean } {
    return this.appendMany([{ batch, chunkId, nowMs }])[0]!;
  }

  appendMany(requests: readonly AppendRequest[]): Array<{ duplicate: boolean }> {
    const days = new Set<number>();
    for (const r of requests) for (const e of r.batch.events) days.add(dayOf(e.timeMs));
    this.partitions.ensure(days);
    const nowMs = requests.at(-1)?.nowMs ?? 0;
    // one JSON array of rows as the single parameter: PostgreSQL parses it in C, where pg's text-array
    // encoding of seven arrays costs the event loop more (measured 90 vs 135 ms per 5,000 records)
    const rows: unknown[] = [];
    const runs: DeliveryRuns = [];
    let bytes = 0;
    const results = this.pg.transaction(() => {
      const duplicates = this.duplicateChunks(requests);
      const out = requests.map((r, i) => {
        if (duplicates.has(i)) return { duplicate: true };
        for (const e of r.batch.events) {
          const body = encode(e);
          rows.push([e.timeMs, e.subMsNanos, e.node ?? '', e.task ?? e.service ?? '', e.level, e.trace_id ?? null, body]);
          bytes += body.length;
        }
        const blockRuns = deliveryRuns(r.batch.events);
        if (blockRuns) runs.push(...blockRuns);
        return { duplicate: false };
      });
      if (rows.length > 0) {
        this.pg.query(
          `INSERT INTO log_records (time_ms, sub_ms_nanos, node, task, level, trace_id, body)
           SELECT (r->>0)::bigint, (r->>1)::int, r->>2, r->>3, r->>4, r->>5, r->>6 FROM json_array_elements($1::json) AS r`,
          [JSON.stringify(rows)],
        );
      }
      if (runs.length > 0) {
        this.pg.query('INSERT INTO log_deliveries (sid, lo, hi, stored_ms) SELECT s, l, h, $4 FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS t(s, l, h)', [
          runs.map((x) => x[0]),
          runs.map((x) => x[1]),
          runs.map((x) => x[2]),
          nowMs,
        ]);
      }
      return out;
    });
    // after the commit: the marks go live and the totals move
    for (const [sid, lo, hi] of runs) {
      for (let seq = lo; seq <= hi; seq++) this.marks.add(sid, seq);
      this.unfolded.set(sid, nowMs);
    }
    this.records += rows.length;
    this.bytes += bytes;
    return results;
  }

  /**
   * {@link appendMany} as one statement, sent without blocking: the chunk-id inserts decide which requests
   * are new, and the records of those, with their spool runs, go in with them (CTEs of one statement
   * commit together). Two requests of one group with the same chunk id: the second is the duplicate.
   */
  async appendManyAsync(requests: readonly AppendRequest[]): Promise<Array<{ duplicate: boolean }>> {
    const days = new Set<number>();
    for (const r of requests) for (const e of r.batch.events) days.add(dayOf(e.timeMs));
    this.partitions.ensure(days);
    const nowMs = requests.at(-1)?.nowMs ?? 0;
    const firstOf = new Map<string, number>();
    const chunkOf: Array<string | null> = requests.map((r, i) => {
      const identified = r.batch.events.length > 0 && r.batch.events[0]!.sid !== undefined;
      if (r.chunkId === undefined || identified) return null;
      if (!firstOf.has(r.chunkId)) firstOf.set(r.chunkId, i);
      return r.chunkId;
    });
    const rows: unknown[] = [];
    const runs: DeliveryRuns = [];
    const bytesOf = requests.map(() => 0);
    requests.forEach((r, i) => {
      const chunk = chunkOf[i]!;
      if (chunk !== null && firstOf.get(chunk) !== i) return; // stored by its first copy, if at all
      for (const e of r.batch.events) {
        const body = encode(e);
        rows.push([e.timeMs, e.subMsNanos, e.node ?? '', e.task ?? e.service ?? '', e.level, e.trace_id ?? null, body, chunk]);
        bytesOf[i]! += body.length;
      }
      const blockRuns = deliveryRuns(r.batch.events);
      if (blockRuns) runs.push(...blockRuns);
    });
    const result = await this.pg.queryAsync<{ fenced: boolean; chunk_id: string | null }>(APPEND_SQL, [
      JSON.stringify([...firstOf.keys()]),
      nowMs,
      JSON.stringify(rows),
      JSON.stringify(runs),
      this.options.holder ?? null,
    ]);
    if (result.rows.some((r) => r.fenced)) throw new PgQueryError('not stored: this replica no longer holds the leader lease (the senders resend to the leader)');
    const stored = new Set(result.rows.map((r) => r.chunk_id));
    const out = requests.map((r, i) => {
      const chunk = chunkOf[i]!;
      const duplicate = chunk !== null && (firstOf.get(chunk) !== i || !stored.has(chunk));
      if (!duplicate) {
        this.records += r.batch.events.length;
        this.bytes += bytesOf[i]!;
      }
      return { duplicate };
    });
    for (const [sid, lo, hi] of runs) {
      for (let seq = lo; seq <= hi; seq++) this.marks.add(sid, seq);
      this.unfolded.set(sid, nowMs);
    }
    return out;
  }

  trace(traceId: string, limit: number): Event[] {
    const rows = this.pg.query<{ body: string }>('SELECT body FROM log_records WHERE trace_id = $1 ORDER BY time_ms, sub_ms_nanos LIMIT $2', [traceId, limit]).rows;
    return rows.map((r) => JSON.parse(r.body) as Event);
  }

  logs(query: LogQuery): Event[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      args.push(value);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (query.node !== undefined) add('node = ?', query.node);
    if (query.task !== undefined) add('task = ?', query.task);
    if (query.sinceMs !== undefined) add('time_ms >= ?', query.sinceMs);
    if (query.untilMs !== undefined) add('time_ms <= ?', query.untilMs);
    if (query.levels && query.levels.length > 0) add('level = ANY(?::text[])', [...query.levels]);
    args.push(query.limit);
    const sql = `SELECT body FROM log_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time_ms DESC, sub_ms_nanos DESC LIMIT $${args.length}`;
    const events = this.pg.query<{ body: string }>(sql, args).rows.map((r) => JSON.parse(r.body) as Event);
    return events.sort(compareEventTime);
  }

  /** Drops day partitions past the age limit, then the oldest while over the size limit; prunes dedup rows. */
  retain(nowMs: number): RetentionResult {
    const result: RetentionResult = { age: 0, size: 0 };
    this.fold(nowMs);
    const cutoff = nowMs - this.options.maxAgeMs;
    const parts = this.partitions.list();
    for (const p of parts) {
      if (LogPartitions.endOf(p) > cutoff) break;
      result.age += this.dropPartition(p);
    }
    // the partition the cutoff falls in: its expired rows go one by one
    const deleted = this.pg.query<{ n: number; b: number | null }>(
      'WITH d AS (DELETE FROM log_records WHERE time_ms < $1 RETURNING length(body) AS len) SELECT count(*) AS n, sum(len) AS b FROM d',
      [cutoff],
    ).rows[0];
    result.age += deleted?.n ?? 0;
    this.records -= deleted?.n ?? 0;
    this.bytes -= deleted?.b ?? 0;
    for (const p of this.partitions.list().slice(0, -1)) {
      if (this.bytes <= this.options.maxBytes) break;
      result.size += this.dropPartition(p);
    }
    this.pg.query('DELETE FROM log_chunks WHERE received_ms < $1', [nowMs - this.options.dedupWindowMs]);
    return result;
  }

  stats(): StoreStats {
    return { records: this.records, bytes: this.bytes };
  }

  /** The connection belongs to the collector's PgDatabase; it closes it. */
  close(): void {}

  private dropPartition(p: { name: string; day: number }): number {
    const gone = this.partitions.drop(p);
    this.records -= gone.records;
    this.bytes -= gone.bytes;
    return gone.records;
  }

  /** Indexes (into `requests`) of chunks stored before, by chunk id; exporter records are deduped by their marks instead. */
  private duplicateChunks(requests: readonly AppendRequest[]): Set<number> {
    const ids: string[] = [];
    const at = new Map<string, number[]>();
    requests.forEach((r, i) => {
      const identified = r.batch.events.length > 0 && r.batch.events[0]!.sid !== undefined;
      if (r.chunkId === undefined || identified) return;
      ids.push(r.chunkId);
      at.set(r.chunkId, [...(at.get(r.chunkId) ?? []), i]);
    });
    const dup = new Set<number>();
    if (ids.length === 0) return dup;
    const inserted = new Set(
      this.pg
        .query<{ chunk_id: string }>('INSERT INTO log_chunks (chunk_id, received_ms) SELECT c, $2 FROM unnest($1::text[]) AS t(c) ON CONFLICT DO NOTHING RETURNING chunk_id', [ids, requests.at(-1)!.nowMs])
        .rows.map((r) => r.chunk_id),
    );
    for (const [id, idx] of at) idx.forEach((i, n) => (n > 0 || !inserted.has(id) ? dup.add(i) : undefined));
    return dup;
  }

  /** Replaces the delivery rows of spools seen since the last fold by their merged ranges; forgets silent spools. */
  private fold(nowMs: number): void {
    const sids = [...this.unfolded.keys()];
    const cutoff = nowMs - this.options.dedupWindowMs;
    this.pg.transaction(() => {
      if (sids.length > 0) {
        this.pg.query('DELETE FROM log_deliveries WHERE sid = ANY($1::text[])', [sids]);
        const s: string[] = [];
        const lo: number[] = [];
        const hi: number[] = [];
        const at: number[] = [];
        for (const sid of sids) for (const [a, b] of this.marks.ranges(sid)) (s.push(sid), lo.push(a), hi.push(b), at.push(this.unfolded.get(sid)!));
        this.pg.query('INSERT INTO log_deliveries (sid, lo, hi, stored_ms) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])', [s, lo, hi, at]);
      }
      const stale = this.pg.query<{ sid: string }>('DELETE FROM log_deliveries WHERE stored_ms < $1 RETURNING sid', [cutoff]).rows;
      for (const r of stale) if (!this.unfolded.has(r.sid)) this.marks.forget(r.sid);
    });
    this.unfolded.clear();
  }
}
