import { BloomFilter } from './bloom.js';

/** A sealed segment's trace index as stored: trace ids (16 bytes each), the block id of each, and a Bloom filter. */
export interface SealedIndex {
  /** Concatenated 16-byte trace ids, one per (trace, block) pair, in no particular order. */
  ids: Buffer;
  /** uint32 block id for each entry of `ids`, big-endian. */
  blocks: Buffer;
  bloom: BloomFilter;
}

/**
 * The trace index of the hot (open) segment: trace id → ids of the blocks holding it, in memory only.
 * Appending is a Map operation per record, which is what lets ingest skip a random B-tree insert per row;
 * it is sealed into a {@link SealedIndex} when the segment closes and rebuilt from blocks after a restart.
 */
export class HotTraceIndex {
  private readonly map = new Map<string, number[]>();
  private pairs = 0;

  /** Records that `traceId` occurs in block `blockId`. */
  add(traceId: string, blockId: number): void {
    const list = this.map.get(traceId);
    if (!list) {
      this.map.set(traceId, [blockId]);
      this.pairs++;
    } else if (list[list.length - 1] !== blockId) {
      list.push(blockId);
      this.pairs++;
    }
  }

  /** Block ids holding `traceId` in the hot segment. */
  blocksOf(traceId: string): readonly number[] {
    return this.map.get(traceId) ?? [];
  }

  /** Distinct trace ids indexed. */
  get traces(): number {
    return this.map.size;
  }

  /** Builds the stored form: ids, block refs and a Bloom filter over the distinct ids. */
  seal(): SealedIndex {
    const ids = Buffer.allocUnsafe(this.pairs * 16);
    const blocks = Buffer.allocUnsafe(this.pairs * 4);
    const bloom = BloomFilter.forKeys(this.map.size);
    let n = 0;
    for (const [traceId, list] of this.map) {
      const first = n * 16;
      ids.write(traceId, first, 16, 'hex');
      bloom.add(ids, first);
      for (let i = 0; i < list.length; i++) {
        if (i > 0) ids.copy(ids, n * 16, first, first + 16);
        blocks.writeUInt32BE(list[i]!, n * 4);
        n++;
      }
    }
    return { ids, blocks, bloom };
  }

  clear(): void {
    this.map.clear();
    this.pairs = 0;
  }
}

/** Block ids recorded for `traceId` (32 hex) in a sealed segment's `ids`/`blocks` pair. */
export function sealedBlocksOf(traceId: string, ids: Buffer, blocks: Buffer): number[] {
  const needle = Buffer.from(traceId, 'hex');
  const out: number[] = [];
  let from = 0;
  for (;;) {
    const at = ids.indexOf(needle, from);
    if (at < 0) break;
    // Only 16-byte aligned hits are ids; others straddle two entries.
    if (at % 16 === 0) out.push(blocks.readUInt32BE((at / 16) * 4));
    from = at + 1;
  }
  return out;
}
