const MIN_CAPACITY = 64 * 1024;

/**
 * Bytes received on a connection and not yet consumed as frames. Appends grow the buffer geometrically,
 * and a region handed out as a frame is never written again, so frames can stay views (no copy) while
 * the pipeline works on them asynchronously.
 */
export class ByteQueue {
  private buf = Buffer.alloc(0);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(data: Buffer): void {
    if (this.end + data.length > this.buf.length) {
      const size = this.end - this.start;
      const next = Buffer.allocUnsafe(Math.max(MIN_CAPACITY, (size + data.length) * 2));
      this.buf.copy(next, 0, this.start, this.end);
      this.buf = next;
      this.start = 0;
      this.end = size;
    }
    data.copy(this.buf, this.end);
    this.end += data.length;
  }

  /** The unconsumed bytes, as a view. */
  view(): Buffer {
    return this.buf.subarray(this.start, this.end);
  }

  /** Drops the first `n` unconsumed bytes and returns them as a view that stays valid. */
  take(n: number): Buffer {
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
    this.start = this.end = 0;
  }
}
