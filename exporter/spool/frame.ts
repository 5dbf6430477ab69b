import { crc32 } from 'node:zlib';

/** Bytes before each record: u32 big-endian payload length, u32 big-endian CRC-32 of the payload. */
export const FRAME_HEADER = 8;
/** A record larger than this is refused (a corrupt length must not make the reader allocate gigabytes). */
export const MAX_RECORD_BYTES = 1 << 20;

/** Frames one payload: header + bytes. */
export function encodeFrame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32(payload), 4);
  payload.copy(out, FRAME_HEADER);
  return out;
}

/** Result of scanning framed bytes: the payloads and where the valid data ends. */
export interface ScanResult {
  payloads: Buffer[];
  /** Offset just past the last valid frame. */
  validEnd: number;
  /** Why scanning stopped before the end of the bytes, if it did. */
  damage?: 'torn' | 'bad_crc' | 'bad_length';
}

/**
 * Decodes consecutive frames from `buf` starting at 0, stopping at the first incomplete or corrupt
 * frame (a torn write after a power cut, or bit rot), up to `maxRecords`.
 */
export function scanFrames(buf: Buffer, maxRecords = Number.POSITIVE_INFINITY): ScanResult {
  const payloads: Buffer[] = [];
  let off = 0;
  while (off < buf.length && payloads.length < maxRecords) {
    if (buf.length - off < FRAME_HEADER) return { payloads, validEnd: off, damage: 'torn' };
    const len = buf.readUInt32BE(off);
    if (len === 0 || len > MAX_RECORD_BYTES) return { payloads, validEnd: off, damage: 'bad_length' };
    if (buf.length - off - FRAME_HEADER < len) return { payloads, validEnd: off, damage: 'torn' };
    const payload = buf.subarray(off + FRAME_HEADER, off + FRAME_HEADER + len);
    if (crc32(payload) !== buf.readUInt32BE(off + 4)) return { payloads, validEnd: off, damage: 'bad_crc' };
    payloads.push(payload);
    off += FRAME_HEADER + len;
  }
  return { payloads, validEnd: off };
}
