import { BloomFilter } from './bloom.js';

/** Pairs per stored part of a segment's trace index: 320 KiB, written with the transaction after it fills. */
export const PART_PAIRS = 16_384;

/** A run of (trace id, block id) pairs: 16-byte ids and big-endian uint32 block ids, entry for entry. */
export interface IndexPart {
  ids: Buffer;
  blocks: Buffer;
}

/**
 * The trace index of the hot (open) segment: trace id → ids of the blocks holding it, in memory for
 * lookups. Each new (trace, block) pair is also appended to the stored form as it arrives, in parts of
 * {@link PART_PAIRS}, with the segment's Bloom filter, so sealing a segment writes what is left instead
 * of encoding a whole segment in one pass of the event loop. Rebuilt from blocks after a restart.
 */
export class HotTraceIndex {
  private readonly map = new Map<string, number[]>();
  private bloom: BloomFilter;
  private part: IndexPart = newPart();
  private inPart = 0;
  private readonly filled: IndexPart[] = [];

  /** `capacity`: the most distinct trace ids a segment can hold (its record count). */
  constructor(private readonly capacity: number) {
    this.bloom = BloomFilter.forKeys(capacity);
  }

  /** Records that `traceId` occurs in block `blockId`. */
  add(traceId: string, blockId: number): void {
    const list = this.map.get(traceId);
    if (!list) {
      this.map.set(traceId, [blockId]);
      this.pair(traceId, blockId, true);
    } else if (list[list.length - 1] !== blockId) {
      list.push(blockId);
      this.pair(traceId, blockId, false);
    }
  }

  private pair(traceId: string, blockId: number, first: boolean): void {
    const at = this.inPart * 16;
    this.part.ids.write(traceId, at, 16, 'hex');
    if (first) this.bloom.add(this.part.ids, at);
    this.part.blocks.writeUInt32BE(blockId, this.inPart * 4);
    if (++this.inPart === PART_PAIRS) {
      this.filled.push(this.part);
      this.part = newPart();
      this.inPart = 0;
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

  /** Parts filled since the last call, to store. */
  takeFilled(): IndexPart[] {
    return this.filled.splice(0);
  }

  /**
   * Closes the segment: its last (partial) part and its Bloom filter (rebuilt smaller when the segment
   * held far fewer traces than it could); the index starts over empty.
   */
  seal(): { last: IndexPart | undefined; filled: IndexPart[]; bloom: BloomFilter } {
    const last = this.inPart > 0 ? { ids: this.part.ids.subarray(0, this.inPart * 16), blocks: this.part.blocks.subarray(0, this.inPart * 4) } : undefined;
    let bloom = this.bloom;
    if (this.map.size < this.capacity / 4) {
      bloom = BloomFilter.forKeys(this.map.size);
      const key = Buffer.allocUnsafe(16);
      for (const traceId of this.map.keys()) {
        key.write(traceId, 0, 16, 'hex');
        bloom.add(key, 0);
      }
    }
    const filled = this.takeFilled();
    this.map.clear();
    this.bloom = BloomFilter.forKeys(this.capacity);
    this.part = newPart();
    this.inPart = 0;
    return { last, filled, bloom };
  }
}

function newPart(): IndexPart {
  return { ids: Buffer.allocUnsafe(PART_PAIRS * 16), blocks: Buffer.allocUnsafe(PART_PAIRS * 4) };
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
