import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { compareEventTime, type Event } from '../events/event.js';
import { decodeBlock } from './block-codec.js';
import { BloomFilter } from './bloom.js';
import type { AppendRequest, EventStore, LogQuery, RetentionResult, StoreStats, StoredBatch } from './event-store.js';
import { NewestEvents } from './newest-events.js';
import { deliveryRuns, SqliteDeliveries, type DeliveryRuns } from './sqlite-deliveries.js';
import { prepareDatabase } from './sqlite-schema.js';
import { HotTraceIndex, sealedBlocksOf } from './trace-index.js';

/** Options of the SQLite store; sizes in bytes, ages in ms. */
export interface SqliteStoreOptions {
  path: string;
  synchronous: 'normal' | 'full';
  /** Records per trace-index segment: the hot index holds at most this many before it is sealed. */
  segmentRecords: number;
  maxAgeMs: number;
  maxBytes: number;
  dedupWindowMs: number;
}

interface Segment {
  id: number;
  firstBlock: number;
  lastBlock: number;
  bloom: BloomFilter;
}

const RETENTION_BATCH = 500;

/** The SQLite correlation store: WAL, blocks appended per batch, trace ids indexed per segment. */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly hot = new HotTraceIndex();
  /** node/task → blocks of the hot segment, in memory like the trace index; written sorted when it seals. */
  private readonly hotStreams = new Map<string, number[]>();
  private readonly deliveries: SqliteDeliveries;
  private lastBlock = 0;
  private readonly segments: Segment[] = [];
  private hotFirstBlock = 1;
  private hotRecords = 0;
  private records = 0;
  private bytes = 0;
  private readonly sql;
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
      insertStream: db.prepare('INSERT OR IGNORE INTO block_streams (node, task, block_id) VALUES (?, ?, ?)'),
      blockData: db.prepare<[number], { tag: string; data: Buffer }>('SELECT tag, data FROM blocks WHERE id = ?'),
      blocksIn: db.prepare<[string, number, number], { max_ms: number; tag: string; data: Buffer }>(
        'SELECT max_ms, tag, data FROM blocks WHERE id IN (SELECT value FROM json_each(?)) AND max_ms >= ? AND min_ms <= ? ORDER BY max_ms DESC',
      ),
      blocksFrom: db.prepare<[number], { id: number; tag: string; data: Buffer }>('SELECT id, tag, data FROM blocks WHERE id >= ? ORDER BY id'),
      insertSegment: db.prepare('INSERT INTO segments (first_block, last_block, bytes, bloom, ids, block_refs) VALUES (?, ?, ?, ?, ?, ?)'),
      segmentIndex: db.prepare<[number], { ids: Buffer; block_refs: Buffer }>('SELECT ids, block_refs FROM segments WHERE id = ?'),
      expiredBlocks: db.prepare<[number, number], { id: number; records: number; bytes: number }>(
        'SELECT id, records, bytes FROM blocks WHERE max_ms < ? LIMIT ?',
      ),
      oldestBlocks: db.prepare<[number], { id: number; records: number; bytes: number }>('SELECT id, records, bytes FROM blocks ORDER BY id LIMIT ?'),
      deleteBlock: db.prepare('DELETE FROM blocks WHERE id = ?'),
      deleteStreams: db.prepare('DELETE FROM block_streams WHERE block_id = ?'),
      deleteChunks: db.prepare('DELETE FROM chunks WHERE received_ms < ?'),
      minBlock: db.prepare<[], { id: number | null }>('SELECT MIN(id) AS id FROM blocks'),
      deadSegments: db.prepare<[number], { id: number; bytes: number }>('SELECT id, bytes FROM segments WHERE last_block < ?'),
      deleteSegment: db.prepare('DELETE FROM segments WHERE id = ?'),
    };
    this.appendTx = db.transaction((batch: StoredBatch, chunkId: string | undefined, nowMs: number, runs: DeliveryRuns) => this.write(batch, chunkId, nowMs, runs));
    this.appendManyTx = db.transaction((requests: readonly AppendRequest[], runs: DeliveryRuns) => requests.map((r) => this.write(r.batch, r.chunkId, r.nowMs, runs)));
    this.deliveries = new SqliteDeliveries(db);
    this.load();
  }

  delivered(sid: string, seq: number): boolean {
    return this.deliveries.has(sid, seq);
  }

  append(batch: StoredBatch, chunkId: string | undefined, nowMs: number): { duplicate: boolean } {
    const runs: DeliveryRuns = [];
    const blockId = this.appendTx(batch, chunkId, nowMs, runs);
    this.deliveries.apply(runs, nowMs);
    if (blockId === null) return { duplicate: true };
    if (blockId !== undefined) this.lastBlock = blockId;
    // The hot index is updated after the commit; a crash in between is repaired by load().
    if (blockId !== undefined) this.indexBlock(blockId, batch.events);
    return { duplicate: false };
  }

  appendMany(requests: readonly AppendRequest[]): Array<{ duplicate: boolean }> {
    const runs: DeliveryRuns = [];
    const ids = this.appendManyTx(requests, runs);
    this.deliveries.apply(runs, requests.at(-1)?.nowMs ?? 0);
    return ids.map((blockId, i) => {
      if (blockId === null) return { duplicate: true };
      if (blockId !== undefined) this.lastBlock = blockId;
      if (blockId !== undefined) this.indexBlock(blockId, requests[i]!.batch.events);
      return { duplicate: false };
    });
  }

  trace(traceId: string, limit: number): Event[] {
    const blockIds = new Set<number>(this.hot.blocksOf(traceId));
    const needle = Buffer.from(traceId, 'hex');
    for (const seg of this.segments) {
      if (!seg.bloom.mayContain(needle)) continue;
      const row = this.sql.segmentIndex.get(seg.id);
      if (row) for (const id of sealedBlocksOf(traceId, row.ids, row.block_refs)) blockIds.add(id);
    }
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
    let sql = 'SELECT b.max_ms AS max_ms, b.tag AS tag, b.data AS data FROM blocks b JOIN block_streams s ON s.block_id = b.id';
    const params: unknown[] = [];
    if (query.node !== undefined) (sql += ' AND s.node = ?'), params.push(query.node);
    if (query.task !== undefined) (sql += ' AND s.task = ?'), params.push(query.task);
    sql += ' WHERE b.id < ? AND b.max_ms >= ? AND b.min_ms <= ? GROUP BY b.id ORDER BY b.max_ms DESC';
    take(this.db.prepare(sql).iterate(...params, this.hotFirstBlock, ...window) as Iterable<{ max_ms: number; tag: string; data: Buffer }>);
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
    this.dropDeadSegments();
    if (this.sql.minBlock.get()?.id == null) this.deliveries.restartIds();
    if (result.age + result.size > 0) this.db.pragma('incremental_vacuum');
    return result;
  }

  stats(): StoreStats {
    return { records: this.records, bytes: this.bytes };
  }

  close(): void {
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
    this.hotRecords += events.length;
    if (this.hotRecords >= this.options.segmentRecords) this.seal(blockId);
  }

  private seal(lastBlock: number): void {
    const index = this.hot.seal();
    const bytes = index.ids.length + index.blocks.length + index.bloom.bits.length;
    const id = this.db.transaction(() => {
      // in key order, so the stream index takes the whole segment in a few sequential page writes
      for (const key of [...this.hotStreams.keys()].sort()) {
        const cut = key.indexOf('\u0000');
        for (const blockId of this.hotStreams.get(key)!) this.sql.insertStream.run(key.slice(0, cut), key.slice(cut + 1), blockId);
      }
      return Number(this.sql.insertSegment.run(this.hotFirstBlock, lastBlock, bytes, index.bloom.bits, index.ids, index.blocks).lastInsertRowid);
    })();
    this.hotStreams.clear();
    this.segments.push({ id, firstBlock: this.hotFirstBlock, lastBlock, bloom: index.bloom });
    this.bytes += bytes;
    this.hot.clear();
    this.hotRecords = 0;
    this.hotFirstBlock = lastBlock + 1;
  }

  private deleteBlocks(rows: Array<{ id: number; records: number; bytes: number }>): number {
    let deleted = 0;
    this.db.transaction(() => {
      for (const r of rows) {
        this.sql.deleteBlock.run(r.id);
        this.sql.deleteStreams.run(r.id);
        this.records -= r.records;
        this.bytes -= r.bytes;
        deleted += r.records;
      }
    })();
    return deleted;
  }

  private dropDeadSegments(): void {
    const min = this.sql.minBlock.get()?.id ?? Number.MAX_SAFE_INTEGER;
    for (const dead of this.sql.deadSegments.all(min)) {
      this.sql.deleteSegment.run(dead.id);
      this.bytes -= dead.bytes;
      const i = this.segments.findIndex((s) => s.id === dead.id);
      if (i >= 0) this.segments.splice(i, 1);
    }
  }

  /** Reads totals and sealed Bloom filters, and rebuilds the hot index from blocks after the last seal. */
  private load(): void {
    const totals = this.db.prepare('SELECT COALESCE(SUM(records), 0) AS r, COALESCE(SUM(bytes), 0) AS b FROM blocks').get() as { r: number; b: number };
    const segBytes = this.db.prepare('SELECT COALESCE(SUM(bytes), 0) AS b FROM segments').get() as { b: number };
    this.records = totals.r;
    this.bytes = totals.b + segBytes.b;
    const rows = this.db.prepare('SELECT id, first_block, last_block, bloom FROM segments ORDER BY id').all() as Array<{
      id: number;
      first_block: number;
      last_block: number;
      bloom: Buffer;
    }>;
    for (const r of rows) this.segments.push({ id: r.id, firstBlock: r.first_block, lastBlock: r.last_block, bloom: BloomFilter.fromBytes(r.bloom) });
    this.hotFirstBlock = (rows.at(-1)?.last_block ?? 0) + 1;
    this.lastBlock = (this.db.prepare('SELECT MAX(id) AS id FROM blocks').get() as { id: number | null }).id ?? 0;
    this.deliveries.load(Date.now());
    for (const row of this.sql.blocksFrom.iterate(this.hotFirstBlock)) this.indexBlock(row.id, decodeBlock(row.tag, row.data));
  }
}
