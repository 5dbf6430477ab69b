import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { compareEventTime, type Event } from '../events/event.js';
import { decodeBlock } from './block-codec.js';
import type { AppendRequest, EventStore, LogQuery, RetentionResult, StoreStats, StoredBatch } from './event-store.js';
import { NewestEvents } from './newest-events.js';
import { deliveryRuns, SqliteDeliveries, type DeliveryRuns } from './sqlite-deliveries.js';
import { prepareDatabase } from './sqlite-schema.js';
import { SealedSegments } from './sealed-segments.js';
import { HotTraceIndex, type IndexPart } from './trace-index.js';
import { WalCheckpointer } from './wal-checkpointer.js';

/** Options of the SQLite store; sizes in bytes, ages in ms. */
export interface SqliteStoreOptions {
  path: string;
  synchronous: 'normal' | 'full';
  /** Records per trace-index segment: the hot index holds at most this many before it is sealed. */
  segmentRecords: number;
  maxAgeMs: number;
  maxBytes: number;
  dedupWindowMs: number;
  /** Checkpoints the WAL on a worker thread this often (off the event loop); unset: SQLite's own, inline. */
  checkpoint?: { intervalMs: number; onError(err: Error): void };
}

const RETENTION_BATCH = 500;

/** The SQLite correlation store: WAL, blocks appended per batch, trace ids indexed per segment. */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly hot: HotTraceIndex;
  /** node/task → blocks of the hot segment, in memory like the trace index; written as a row per stream when it seals. */
  private readonly hotStreams = new Map<string, number[]>();
  private readonly deliveries: SqliteDeliveries;
  private readonly sealed: SealedSegments;
  private lastBlock = 0;
  /** The id the hot segment will take, and its trace index parts filled but not yet written (numbered). */
  private hotSegment = 1;
  private unwrittenParts: Array<{ no: number; part: IndexPart }> = [];
  private nextPartNo = 0;
  private hotPartBytes = 0;
  private hotFirstBlock = 1;
  private hotRecords = 0;
  private records = 0;
  private bytes = 0;
  private readonly sql;
  private readonly checkpointer: WalCheckpointer | undefined;
  private readonly appendTx: (batch: StoredBatch, chunkId: string | undefined, nowMs: number, runs: DeliveryRuns) => number | undefined | null;
  private readonly appendManyTx: (requests: readonly AppendRequest[], runs: DeliveryRuns) => Array<number | undefined | null>;

  constructor(private readonly options: SqliteStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    prepareDatabase(this.db, options.synchronous);
    const db = this.db;
    this.sql = {
      insertChunk: db.prepare('INSERT OR IGNORE INTO chunks (chunk_id, received_ms) VALUES (?, ?)'),
      insertBlock: db.prepare('INSERT INTO blocks (min_ms, max_ms, records, bytes, tag, data, marks) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      blockData: db.prepare<[number], { tag: string; data: Buffer }>('SELECT tag, data FROM blocks WHERE id = ?'),
      blocksIn: db.prepare<[string, number, number], { max_ms: number; tag: string; data: Buffer }>(
        'SELECT max_ms, tag, data FROM blocks WHERE id IN (SELECT value FROM json_each(?)) AND max_ms >= ? AND min_ms <= ? ORDER BY max_ms DESC',
      ),
      blocksFrom: db.prepare<[number], { id: number; tag: string; data: Buffer }>('SELECT id, tag, data FROM blocks WHERE id >= ? ORDER BY id'),
      expiredBlocks: db.prepare<[number, number], { id: number; records: number; bytes: number }>(
        'SELECT id, records, bytes FROM blocks WHERE max_ms < ? LIMIT ?',
      ),
      oldestBlocks: db.prepare<[number], { id: number; records: number; bytes: number }>('SELECT id, records, bytes FROM blocks ORDER BY id LIMIT ?'),
      deleteBlock: db.prepare('DELETE FROM blocks WHERE id = ?'),
      deleteChunks: db.prepare('DELETE FROM chunks WHERE received_ms < ?'),
      minBlock: db.prepare<[], { id: number | null }>('SELECT MIN(id) AS id FROM blocks'),
    };
    this.appendTx = db.transaction((batch: StoredBatch, chunkId: string | undefined, nowMs: number, runs: DeliveryRuns) => {
      this.writeParts();
      return this.write(batch, chunkId, nowMs, runs);
    });
    this.appendManyTx = db.transaction((requests: readonly AppendRequest[], runs: DeliveryRuns) => {
      this.writeParts();
      return requests.map((r) => this.write(r.batch, r.chunkId, r.nowMs, runs));
    });
    if (options.checkpoint && options.path !== ':memory:') {
      // the writer checkpoints itself only if the WAL passes 256 MiB, which the worker never lets it reach
      db.pragma('wal_autocheckpoint = 16384');
      this.checkpointer = new WalCheckpointer(options.path, options.checkpoint.intervalMs, options.checkpoint.onError);
    }
    this.deliveries = new SqliteDeliveries(db);
    this.sealed = new SealedSegments(db);
    this.hot = new HotTraceIndex(options.segmentRecords);
    this.load();
  }

  delivered(sid: string, seq: number): boolean {
    return this.deliveries.has(sid, seq);
  }

  append(batch: StoredBatch, chunkId: string | undefined, nowMs: number): { duplicate: boolean } {
    const runs: DeliveryRuns = [];
    const blockId = this.appendTx(batch, chunkId, nowMs, runs);
    this.committed(runs, nowMs);
    if (blockId === null) return { duplicate: true };
    if (blockId !== undefined) this.lastBlock = blockId;
    // The hot index is updated after the commit; a crash in between is repaired by load().
    if (blockId !== undefined) this.indexBlock(blockId, batch.events);
    return { duplicate: false };
  }

  appendMany(requests: readonly AppendRequest[]): Array<{ duplicate: boolean }> {
    const runs: DeliveryRuns = [];
    const ids = this.appendManyTx(requests, runs);
    this.committed(runs, requests.at(-1)?.nowMs ?? 0);
    return ids.map((blockId, i) => {
      if (blockId === null) return { duplicate: true };
      if (blockId !== undefined) this.lastBlock = blockId;
      if (blockId !== undefined) this.indexBlock(blockId, requests[i]!.batch.events);
      return { duplicate: false };
    });
  }

  trace(traceId: string, limit: number): Event[] {
    const blockIds = new Set<number>([...this.hot.blocksOf(traceId), ...this.sealed.traceBlocks(traceId)]);
    const out: Event[] = [];
    for (const id of [...blockIds].sort((a, b) => a - b)) {
      const row = this.sql.blockData.get(id);
      if (!row) continue; // removed by retention
      for (const e of decodeBlock(row.tag, row.data)) if (e.trace_id === traceId) out.push(e);
    }
    out.sort(compareEventTime);
    return out.length > limit ? out.slice(0, limit) : out;
  }

  logs(query: LogQuery): Event[] {
    const newest = new NewestEvents(query.limit);
    const levels = query.levels && query.levels.length > 0 ? new Set(query.levels) : undefined;
    const since = query.sinceMs ?? -Infinity;
    const until = query.untilMs ?? Infinity;
    const take = (rows: Iterable<{ max_ms: number; tag: string; data: Buffer }>) => {
      for (const row of rows) {
        if (newest.done(row.max_ms)) break;
        for (const e of decodeBlock(row.tag, row.data)) {
          if (e.timeMs < since || e.timeMs > until) continue;
          if (query.node !== undefined && (e.node ?? '') !== query.node) continue;
          if (query.task !== undefined && (e.task ?? e.service ?? '') !== query.task) continue;
          if (levels && !levels.has(e.level)) continue;
          newest.add(e);
        }
      }
    };
    const window: [number, number] = [query.sinceMs ?? 0, query.untilMs ?? Number.MAX_SAFE_INTEGER];
    if (query.node === undefined && query.task === undefined) {
      take(this.db.prepare('SELECT max_ms, tag, data FROM blocks WHERE max_ms >= ? AND min_ms <= ? ORDER BY max_ms DESC').iterate(...window) as Iterable<{ max_ms: number; tag: string; data: Buffer }>);
      return newest.result();
    }
    // the hot segment's blocks (the newest) from the in-memory stream index, then the sealed ones
    const hotIds: number[] = [];
    for (const [key, ids] of this.hotStreams) {
      const cut = key.indexOf('\u0000');
      if ((query.node === undefined || key.slice(0, cut) === query.node) && (query.task === undefined || key.slice(cut + 1) === query.task)) hotIds.push(...ids);
    }
    if (hotIds.length > 0) take(this.sql.blocksIn.iterate(JSON.stringify(hotIds), ...window));
    const sealedIds = this.sealed.streamBlocks(query.node, query.task);
    if (sealedIds.length > 0) take(this.sql.blocksIn.iterate(JSON.stringify(sealedIds), ...window));
    return newest.result();
  }

  retain(nowMs: number): RetentionResult {
    const result: RetentionResult = { age: 0, size: 0 };
    // before any block goes: the marks of blocks since the last pass are folded into per-spool rows
    this.deliveries.fold(this.lastBlock, nowMs - this.options.dedupWindowMs);
    const cutoff = nowMs - this.options.maxAgeMs;
    for (;;) {
      const rows = this.sql.expiredBlocks.all(cutoff, RETENTION_BATCH);
      if (rows.length === 0) break;
      result.age += this.deleteBlocks(rows);
    }
    while (this.bytes > this.options.maxBytes && this.records > 0) {
      const rows = this.sql.oldestBlocks.all(RETENTION_BATCH);
      if (rows.length === 0) break;
      let freed = 0;
      const victims = rows.filter((r) => {
        if (this.bytes - freed <= this.options.maxBytes) return false;
        freed += r.bytes;
        return true;
      });
      result.size += this.deleteBlocks(victims);
    }
    this.sql.deleteChunks.run(nowMs - this.options.dedupWindowMs);
    this.bytes -= this.sealed.dropDead(this.sql.minBlock.get()?.id ?? Number.MAX_SAFE_INTEGER);
    if (this.sql.minBlock.get()?.id == null) this.deliveries.restartIds();
    if (result.age + result.size > 0) this.db.pragma('incremental_vacuum');
    return result;
  }

  stats(): StoreStats {
    return { records: this.records, bytes: this.bytes };
  }

  close(): void {
    this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  /** Block id written, undefined when there was nothing to write, null for a chunk stored before. */
  private write(batch: StoredBatch, chunkId: string | undefined, nowMs: number, runs: DeliveryRuns): number | undefined | null {
    const events = batch.events;
    // Exporter records carry their own delivery identity (spool id and sequence): the marks below catch
    // a resend, so their chunk ids need no random-key index insert. Other senders' chunks are deduped by id.
    const identified = events.length > 0 && events[0]!.sid !== undefined;
    if (chunkId !== undefined && !identified && this.sql.insertChunk.run(chunkId, nowMs).changes === 0) return null;
    if (events.length === 0) return undefined;
    let min = Infinity;
    let max = -Infinity;
    for (const e of events) {
      if (e.timeMs < min) min = e.timeMs;
      if (e.timeMs > max) max = e.timeMs;
    }
    const data = batch.payload;
    // the block's node/task streams are indexed in memory (indexBlock) and written when the segment seals:
    // a row per block in a (node, task) index would dirty a random page per chunk of a fleet of small senders
    // the spool runs stored go in the block's row, so a resend after a crash is still recognised
    const blockRuns = deliveryRuns(events);
    const blockId = Number(this.sql.insertBlock.run(min, max, events.length, data.length, batch.tag, data, blockRuns ? JSON.stringify(blockRuns) : null).lastInsertRowid);
    if (blockRuns) runs.push(...blockRuns);
    this.records += events.length;
    this.bytes += data.length;
    return blockId;
  }

  private indexBlock(blockId: number, events: readonly Event[]): void {
    let lastStream = '';
    for (const e of events) {
      if (e.trace_id !== undefined) this.hot.add(e.trace_id, blockId);
      const key = `${e.node ?? ''}\u0000${e.task ?? e.service ?? ''}`;
      if (key === lastStream) continue;
      lastStream = key;
      const list = this.hotStreams.get(key);
      if (!list) this.hotStreams.set(key, [blockId]);
      else if (list[list.length - 1] !== blockId) list.push(blockId);
    }
    for (const part of this.hot.takeFilled()) this.unwrittenParts.push({ no: this.nextPartNo++, part });
    this.hotRecords += events.length;
    if (this.hotRecords >= this.options.segmentRecords) this.seal(blockId);
  }

  /** Trace index parts the hot segment filled ride in the next write transaction (kept until it commits). */
  private writeParts(): void {
    this.sealed.writeParts(this.hotSegment, this.unwrittenParts);
  }

  /** After a write transaction commits: its delivery marks go live and the parts it carried are stored. */
  private committed(runs: DeliveryRuns, nowMs: number): void {
    this.deliveries.apply(runs, nowMs);
    for (const p of this.unwrittenParts) this.hotPartBytes += p.part.ids.length + p.part.blocks.length;
    this.unwrittenParts = [];
  }

  private seal(lastBlock: number): void {
    const { last, filled, bloom } = this.hot.seal();
    const parts = [...this.unwrittenParts, ...[...filled, ...(last ? [last] : [])].map((part) => ({ no: this.nextPartNo++, part }))];
    const seal = { id: this.hotSegment, firstBlock: this.hotFirstBlock, lastBlock, bloom, parts, streams: this.hotStreams };
    this.bytes += this.db.transaction(() => this.sealed.seal(seal, this.hotPartBytes))();
    this.hotStreams.clear();
    this.unwrittenParts = [];
    this.nextPartNo = 0;
    this.hotPartBytes = 0;
    this.hotSegment++;
    this.hotRecords = 0;
    this.hotFirstBlock = lastBlock + 1;
  }

  private deleteBlocks(rows: Array<{ id: number; records: number; bytes: number }>): number {
    let deleted = 0;
    this.db.transaction(() => {
      for (const r of rows) {
        this.sql.deleteBlock.run(r.id);
        this.records -= r.records;
        this.bytes -= r.bytes;
        deleted += r.records;
      }
    })();
    return deleted;
  }

  /** Reads totals and sealed Bloom filters, and rebuilds the hot index from blocks after the last seal. */
  private load(): void {
    const totals = this.db.prepare('SELECT COALESCE(SUM(records), 0) AS r, COALESCE(SUM(bytes), 0) AS b FROM blocks').get() as { r: number; b: number };
    this.hotSegment = this.sealed.load();
    this.records = totals.r;
    this.bytes = totals.b + this.sealed.bytes;
    this.hotFirstBlock = this.sealed.nextBlock;
    this.lastBlock = (this.db.prepare('SELECT MAX(id) AS id FROM blocks').get() as { id: number | null }).id ?? 0;
    this.deliveries.load(Date.now());
    for (const row of this.sql.blocksFrom.iterate(this.hotFirstBlock)) this.indexBlock(row.id, decodeBlock(row.tag, row.data));
  }
}
