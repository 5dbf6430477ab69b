/** FNV-1a over bytes [start, end) with a seed, as an unsigned 32-bit integer. */
function fnv1a(bytes: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = start; i < end; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const SEED_A = 0x811c9dc5;
const SEED_B = 0x5bd1e995;
const HASHES = 7;
const BITS_PER_KEY = 10; // about 1% false positives with 7 hashes

/**
 * A fixed-size Bloom filter over 16-byte trace ids, kept in memory per sealed segment so a trace lookup
 * skips segments that cannot hold it (Grafana Tempo does the same per block).
 */
export class BloomFilter {
  private constructor(readonly bits: Uint8Array) {}

  /** An empty filter sized for `keys` entries. */
  static forKeys(keys: number): BloomFilter {
    const bytes = Math.max(128, Math.ceil((keys * BITS_PER_KEY) / 8));
    return new BloomFilter(new Uint8Array(bytes));
  }

  /** A filter read back from its stored bytes. */
  static fromBytes(bytes: Uint8Array): BloomFilter {
    return new BloomFilter(bytes);
  }

  /** Adds the key stored at bytes[start, start + 16). */
  add(bytes: Uint8Array, start: number): void {
    const m = this.bits.length * 8;
    const a = fnv1a(bytes, start, start + 16, SEED_A);
    const b = fnv1a(bytes, start, start + 16, SEED_B) | 1;
    for (let i = 0; i < HASHES; i++) {
      const bit = (a + Math.imul(i, b)) >>> 0;
      const pos = bit % m;
      this.bits[pos >>> 3]! |= 1 << (pos & 7);
    }
  }

  /** False when the key is certainly absent; true when it may be present. */
  mayContain(bytes: Uint8Array, start = 0): boolean {
    const m = this.bits.length * 8;
    const a = fnv1a(bytes, start, start + 16, SEED_A);
    const b = fnv1a(bytes, start, start + 16, SEED_B) | 1;
    for (let i = 0; i < HASHES; i++) {
      const pos = ((a + Math.imul(i, b)) >>> 0) % m;
      if ((this.bits[pos >>> 3]! & (1 << (pos & 7))) === 0) return false;
    }
    return true;
  }
}
