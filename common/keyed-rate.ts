import { TokenBucket } from './token-bucket.js';

/**
 * One {@link TokenBucket} per key (a caller, a client address): `perMinute` sustained, `burst` at once.
 * Keys whose bucket is full again hold nothing worth keeping and are dropped; at most `maxKeys` are
 * tracked (the least recently used forgotten), so a flood of keys cannot grow memory.
 */
export class KeyedRate {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perMinute: number,
    private readonly burst: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes `n` for `key`; 0 when allowed, else the seconds to wait (nothing is taken then). */
  take(key: string, now: number, n = 1): number {
    const b = this.bucket(key, now);
    if (b.take(now, n)) return 0;
    return Math.max(1, Math.ceil(b.waitMs(now, Math.min(n, this.burst)) / 1000));
  }

  /** Seconds until `key` may spend one; 0 when it may now (takes nothing). */
  waitSeconds(key: string, now: number): number {
    const b = this.buckets.get(key);
    return b === undefined ? 0 : Math.ceil(b.waitMs(now) / 1000);
  }

  private bucket(key: string, now: number): TokenBucket {
    let b = this.buckets.get(key);
    if (b === undefined || b.available(now) >= this.burst) b = new TokenBucket(this.perMinute / 60, this.burst, now);
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }
}
