import type Database from 'better-sqlite3';
import { BloomFilter } from './bloom.js';
import { sealedBlocksOf, type IndexPart } from './trace-index.js';

interface Segment {
  id: number;
  firstBlock: number;
  lastBlock: number;
  bloom: BloomFilter;
}

/** What a segment is sealed with: its block range, Bloom filter, last index parts and node/task streams. */
export interface SegmentSeal {
  id: number;
  firstBlock: number;
  lastBlock: number;
  bloom: BloomFilter;
  /** Index parts not written yet, numbered after those that were. */
  parts: ReadonlyArray<{ no: number; part: IndexPart }>;
  /** `node\u0000task` → ids of the segment's blocks holding that stream, ascending. */
  streams: Map<string, number[]>;
}

/**
 * The sealed segments of the store: per segment a Bloom filter (in memory), its trace index in parts
 * (`segment_parts`, written as the hot segment fills) and one row per node/task stream listing its blocks
 * (`segment_streams`): a seal writes a row per stream, not per block, and no page of a per-block index.
 */
export class SealedSegments {
  private readonly segments: Segment[] = [];
  private bytesTotal = 0;
  private readonly sql;

  constructor(private readonly db: Database.Database) {
    this.sql = {
      insertPart: db.prepare('INSERT OR REPLACE INTO segment_parts (segment_id, part, ids, block_refs) VALUES (?, ?, ?, ?)'),
      parts: db.prepare<[number], { ids: Buffer; block_refs: Buffer }>('SELECT ids, block_refs FROM segment_parts WHERE segment_id = ?'),
      legacyIndex: db.prepare<[number], { ids: Buffer; block_refs: Buffer }>('SELECT ids, block_refs FROM segments WHERE id = ?'),
      insertStream: db.prepare('INSERT OR REPLACE INTO segment_streams (node, task, segment_id, blocks) VALUES (?, ?, ?, ?)'),
      insertSegment: db.prepare('INSERT INTO segments (id, first_block, last_block, bytes, bloom, ids, block_refs) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      deadSegments: db.prepare<[number], { id: number; bytes: number }>('SELECT id, bytes FROM segments WHERE last_block < ?'),
      deleteSegment: db.prepare('DELETE FROM segments WHERE id = ?'),
      deleteParts: db.prepare('DELETE FROM segment_parts WHERE segment_id = ?'),
      deleteStreams: db.prepare('DELETE FROM segment_streams WHERE segment_id = ?'),
    };
  }

  /** Bytes of every sealed index (Bloom filters, trace parts, stream lists). */
  get bytes(): number {
    return this.bytesTotal;
  }

  /**
   * Reads the segments' Bloom filters, drops what an unsealed segment left behind (its parts are written
   * again as the hot index is rebuilt), and returns the id the next segment takes.
   */
  load(): number {
    this.migrateBlockStreams();
    const rows = this.db.prepare('SELECT id, first_block, last_block, bytes, bloom FROM segments ORDER BY id').all() as Array<{
      id: number;
      first_block: number;
      last_block: number;
      bytes: number;
      bloom: Buffer;
    }>;
    for (const r of rows) {
      this.segments.push({ id: r.id, firstBlock: r.first_block, lastBlock: r.last_block, bloom: BloomFilter.fromBytes(r.bloom) });
      this.bytesTotal += r.bytes;
    }
    const next = (rows.at(-1)?.id ?? 0) + 1;
    this.db.prepare('DELETE FROM segment_parts WHERE segment_id >= ?').run(next);
    this.db.prepare('DELETE FROM segment_streams WHERE segment_id >= ?').run(next);
    return next;
  }

  /** The block after the last sealed one: where the hot segment starts. */
  get nextBlock(): number {
    return (this.segments.at(-1)?.lastBlock ?? 0) + 1;
  }

  /** Stores index parts of the (still hot) segment `segmentId`; call inside the write transaction. */
  writeParts(segmentId: number, parts: ReadonlyArray<{ no: number; part: IndexPart }>): void {
    for (const p of parts) this.sql.insertPart.run(segmentId, p.no, p.part.ids, p.part.blocks);
  }

  /**
   * Seals a segment whose parts of `writtenPartBytes` are stored already; call inside a transaction.
   * Returns the bytes the segment's index takes.
   */
  seal(seal: SegmentSeal, writtenPartBytes: number): number {
    let bytes = writtenPartBytes + seal.bloom.bits.length;
    this.writeParts(seal.id, seal.parts);
    for (const p of seal.parts) bytes += p.part.ids.length + p.part.blocks.length;
    // in key order, so the stream rows go in with a few sequential page writes
    for (const key of [...seal.streams.keys()].sort()) {
      const ids = seal.streams.get(key)!;
      const blob = Buffer.allocUnsafe(ids.length * 4);
      ids.forEach((id, i) => blob.writeUInt32BE(id, i * 4));
      const cut = key.indexOf('\u0000');
      this.sql.insertStream.run(key.slice(0, cut), key.slice(cut + 1), seal.id, blob);
      bytes += blob.length + key.length;
    }
    this.sql.insertSegment.run(seal.id, seal.firstBlock, seal.lastBlock, bytes, seal.bloom.bits, Buffer.alloc(0), Buffer.alloc(0));
    this.segments.push({ id: seal.id, firstBlock: seal.firstBlock, lastBlock: seal.lastBlock, bloom: seal.bloom });
    this.bytesTotal += bytes;
    return bytes;
  }

  /** Ids of sealed blocks that may hold `traceId` (those whose segment's filter and index say so). */
  traceBlocks(traceId: string): number[] {
    const needle = Buffer.from(traceId, 'hex');
    const out: number[] = [];
    for (const seg of this.segments) {
      if (!seg.bloom.mayContain(needle)) continue;
      for (const part of this.sql.parts.iterate(seg.id)) out.push(...sealedBlocksOf(traceId, part.ids, part.block_refs));
      const legacy = this.sql.legacyIndex.get(seg.id);
      if (legacy && legacy.ids.length > 0) out.push(...sealedBlocksOf(traceId, legacy.ids, legacy.block_refs));
    }
    return out;
  }

  /** Ids of sealed blocks holding records of the node and/or task. */
  streamBlocks(node: string | undefined, task: string | undefined): number[] {
    let sql = 'SELECT blocks FROM segment_streams';
    const where: string[] = [];
    const params: string[] = [];
    if (node !== undefined) where.push('node = ?'), params.push(node);
    if (task !== undefined) where.push('task = ?'), params.push(task);
    if (where.length > 0) sql += ` WHERE ${where.join(' AND ')}`;
    const out: number[] = [];
    for (const row of this.db.prepare(sql).iterate(...params) as Iterable<{ blocks: Buffer }>) {
      for (let at = 0; at < row.blocks.length; at += 4) out.push(row.blocks.readUInt32BE(at));
    }
    return out;
  }

  /** Drops segments whose every block is gone (all below `minBlock`); returns the bytes freed. Call inside a transaction or alone. */
  dropDead(minBlock: number): number {
    let freed = 0;
    for (const dead of this.sql.deadSegments.all(minBlock)) {
      this.sql.deleteSegment.run(dead.id);
      this.sql.deleteParts.run(dead.id);
      this.sql.deleteStreams.run(dead.id);
      freed += dead.bytes;
      const i = this.segments.findIndex((s) => s.id === dead.id);
      if (i >= 0) this.segments.splice(i, 1);
    }
    this.bytesTotal -= freed;
    return freed;
  }

  /** Stores written before segment streams kept a row per block: fold them into a row per stream and segment. */
  private migrateBlockStreams(): void {
    const legacy = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'block_streams'").get();
    if (!legacy) return;
    this.db.transaction(() => {
      const rows = this.db
        .prepare(
          'SELECT s.node AS node, s.task AS task, g.id AS segment_id, s.block_id AS block_id FROM block_streams s JOIN segments g ON s.block_id BETWEEN g.first_block AND g.last_block ORDER BY s.node, s.task, g.id, s.block_id',
        )
        .all() as Array<{ node: string; task: string; segment_id: number; block_id: number }>;
      let key = '';
      let ids: number[] = [];
      let last: { node: string; task: string; segment_id: number } | undefined;
      const flush = () => {
        if (!last || ids.length === 0) return;
        const blob = Buffer.allocUnsafe(ids.length * 4);
        ids.forEach((id, i) => blob.writeUInt32BE(id, i * 4));
        this.sql.insertStream.run(last.node, last.task, last.segment_id, blob);
      };
      for (const r of rows) {
        const k = `${r.node}\u0000${r.task}\u0000${r.segment_id}`;
        if (k !== key) {
          flush();
          key = k;
          ids = [];
          last = r;
        }
        ids.push(r.block_id);
      }
      flush();
      this.db.exec('DROP TABLE block_streams');
    })();
  }
}
