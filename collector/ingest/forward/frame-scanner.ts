/** Why a frame could not be delimited: a bounded set that becomes a rejection reason. */
export type ScanFailure = 'malformed' | 'frame_too_large' | 'too_deep';

/** Thrown by {@link FrameScanner} when the bytes cannot be a frame the collector accepts. */
export class FrameScanError extends Error {
  constructor(
    readonly reason: ScanFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Finds where one msgpack value ends without decoding it, so a connection knows when a whole frame has
 * arrived and can refuse an oversized or too deeply nested one before building any object. The scan is
 * resumable: bytes already walked are not walked again when more arrive, which keeps a large Forward-mode
 * frame trickling in over many TCP reads linear rather than quadratic.
 */
export class FrameScanner {
  private pos = 0;
  private started = false;
  private readonly open: number[] = [];

  constructor(
    private readonly maxFrameBytes: number,
    private readonly maxDepth: number,
  ) {}

  /** Offset just past the value that starts at buf[0], or -1 when more bytes are needed. */
  scan(buf: Uint8Array): number {
    const len = buf.length;
    for (;;) {
      if (this.started && this.open.length === 0) {
        // The last value's payload is skipped, not read: the frame is whole only once its bytes are here.
        if (this.pos > len) return this.incomplete(len);
        const end = this.pos;
        this.reset();
        return end;
      }
      const p = this.pos;
      if (p >= len) return this.incomplete(len);
      const b = buf[p]!;
      let head = 1;
      let body = 0;
      let children = 0;
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
        // fixint, negative fixint, nil, false, true
      } else if (b >= 0xa0 && b <= 0xbf) body = b & 0x1f;
      else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
      else if (b >= 0x80 && b <= 0x8f) children = (b & 0x0f) * 2;
      else {
        const sized = headerOf(b);
        if (!sized) throw new FrameScanError('malformed', `byte 0x${b.toString(16)} at offset ${p} starts no msgpack value`);
        head = sized.head;
        if (p + head > len) return this.incomplete(len);
        const n = sized.lengthBytes === 0 ? 0 : readLength(buf, p + 1, sized.lengthBytes);
        if (sized.kind === 'array') children = n;
        else if (sized.kind === 'map') children = n * 2;
        else body = sized.fixed + n;
      }
      const next = p + head + body;
      if (next > this.maxFrameBytes) throw tooLarge(this.maxFrameBytes, next);
      this.pos = next;
      this.started = true;
      if (children > 0) {
        if (this.open.length >= this.maxDepth) throw new FrameScanError('too_deep', `nesting deeper than ${this.maxDepth} levels`);
        this.open.push(children);
      } else {
        this.completeOne();
      }
    }
  }

  /** Forgets a partial scan (after the connection drops the bytes it had). */
  reset(): void {
    this.pos = 0;
    this.started = false;
    this.open.length = 0;
  }

  private completeOne(): void {
    while (this.open.length > 0) {
      const top = this.open.length - 1;
      const left = this.open[top]! - 1;
      if (left > 0) {
        this.open[top] = left;
        return;
      }
      this.open.pop();
    }
  }

  private incomplete(len: number): number {
    if (len > this.maxFrameBytes) throw tooLarge(this.maxFrameBytes, len);
    return -1;
  }
}

function tooLarge(max: number, seen: number): FrameScanError {
  return new FrameScanError('frame_too_large', `frame larger than forward.limits.maxFrameBytes (${max} bytes; at least ${seen} seen)`);
}

interface SizedHeader {
  kind: 'bytes' | 'array' | 'map';
  head: number;
  lengthBytes: 0 | 1 | 2 | 4;
  /** Payload bytes beyond the encoded length (the ext type byte, or a fixed-size scalar). */
  fixed: number;
}

const SIZED: Record<number, SizedHeader> = {
  0xc4: { kind: 'bytes', head: 2, lengthBytes: 1, fixed: 0 },
  0xc5: { kind: 'bytes', head: 3, lengthBytes: 2, fixed: 0 },
  0xc6: { kind: 'bytes', head: 5, lengthBytes: 4, fixed: 0 },
  0xc7: { kind: 'bytes', head: 2, lengthBytes: 1, fixed: 1 },
  0xc8: { kind: 'bytes', head: 3, lengthBytes: 2, fixed: 1 },
  0xc9: { kind: 'bytes', head: 5, lengthBytes: 4, fixed: 1 },
  0xca: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 4 },
  0xcb: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 8 },
  0xcc: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 1 },
  0xcd: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 2 },
  0xce: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 4 },
  0xcf: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 8 },
  0xd0: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 1 },
  0xd1: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 2 },
  0xd2: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 4 },
  0xd3: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 8 },
  0xd4: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 2 },
  0xd5: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 3 },
  0xd6: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 5 },
  0xd7: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 9 },
  0xd8: { kind: 'bytes', head: 1, lengthBytes: 0, fixed: 17 },
  0xd9: { kind: 'bytes', head: 2, lengthBytes: 1, fixed: 0 },
  0xda: { kind: 'bytes', head: 3, lengthBytes: 2, fixed: 0 },
  0xdb: { kind: 'bytes', head: 5, lengthBytes: 4, fixed: 0 },
  0xdc: { kind: 'array', head: 3, lengthBytes: 2, fixed: 0 },
  0xdd: { kind: 'array', head: 5, lengthBytes: 4, fixed: 0 },
  0xde: { kind: 'map', head: 3, lengthBytes: 2, fixed: 0 },
  0xdf: { kind: 'map', head: 5, lengthBytes: 4, fixed: 0 },
};

function headerOf(b: number): SizedHeader | undefined {
  return SIZED[b];
}

function readLength(buf: Uint8Array, at: number, bytes: 1 | 2 | 4): number {
  if (bytes === 1) return buf[at]!;
  if (bytes === 2) return (buf[at]! << 8) | buf[at + 1]!;
  return ((buf[at]! << 24) >>> 0) + (buf[at + 1]! << 16) + (buf[at + 2]! << 8) + buf[at + 3]!;
}

/** Byte range of a str or bin value's payload at `pos` (PackedForward entries), or undefined for other types. */
export function rawBytesRange(buf: Uint8Array, pos: number): { start: number; end: number } | undefined {
  const b = buf[pos]!;
  if (b >= 0xa0 && b <= 0xbf) return { start: pos + 1, end: pos + 1 + (b & 0x1f) };
  const h = headerOf(b);
  if (!h || h.kind !== 'bytes' || h.fixed !== 0 || h.lengthBytes === 0) return undefined;
  const n = readLength(buf, pos + 1, h.lengthBytes);
  return { start: pos + h.head, end: pos + h.head + n };
}

/** Start offsets and element count of the array at buf[0], or undefined when buf does not start with an array. */
export function arrayHeader(buf: Uint8Array): { count: number; first: number } | undefined {
  const b = buf[0];
  if (b === undefined) return undefined;
  if (b >= 0x90 && b <= 0x9f) return { count: b & 0x0f, first: 1 };
  if (b === 0xdc && buf.length >= 3) return { count: readLength(buf, 1, 2), first: 3 };
  if (b === 0xdd && buf.length >= 5) return { count: readLength(buf, 1, 4), first: 5 };
  return undefined;
}

/** The end offset of the complete value at buf[pos] (the caller knows the value is complete). */
export function valueEnd(buf: Uint8Array, pos: number): number {
  const end = new FrameScanner(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER).scan(buf.subarray(pos));
  if (end < 0) throw new FrameScanError('malformed', 'truncated msgpack value');
  return pos + end;
}
