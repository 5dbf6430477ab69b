import { gunzip } from 'node:zlib';
import { Unpackr } from 'msgpackr';
import { errorMessage } from '../../../common/errors.js';
import { EventTime, registerEventTimeExtension } from './event-time.js';
import { arrayHeader, FrameScanError, rawBytesRange, valueEnd } from './frame-scanner.js';
import { ForwardRejection } from './forward-rejection.js';

registerEventTimeExtension();

/** The four event modes of Forward Protocol v1, told apart by the frame's second element. */
export type ForwardMode = 'Message' | 'Forward' | 'PackedForward' | 'CompressedPackedForward';

/** A decoded frame: a keep-alive, a handshake PING, or events with their options. */
export type ForwardFrame =
  | { kind: 'keepalive' }
  | { kind: 'ping'; fields: unknown[] }
  | { kind: 'events'; mode: ForwardMode; tag: string; entries: unknown[]; payload: Buffer; chunk: string | undefined };

/** Limits applied while decoding. */
export interface FrameLimits {
  maxDecompressedBytes: number;
  /** Entries one frame may decode to (`forward.limits.maxEntriesPerFrame`). */
  maxEntriesPerFrame: number;
}

// 'auto' keeps 64-bit integers as numbers when exact and strings otherwise: never a BigInt that JSON
// output and the store could not handle.
const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false, int64AsType: 'auto' } as unknown as ConstructorParameters<typeof Unpackr>[0]);

// A 2-element fixarray: prefixed to a Message frame's time and record it makes one `[time, record]` entry.
const ENTRY_HEADER = Buffer.from([0x92]);

function decodeAt(frame: Buffer, start: number, end: number): unknown {
  try {
    return unpackr.unpack(frame.subarray(start, end));
  } catch (err) {
    throw new ForwardRejection('malformed', `undecodable msgpack: ${errorMessage(err)}`);
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof EventTime);
}

function readOptions(value: unknown): { chunk: string | undefined; compressed: string | undefined } {
  if (value === undefined || value === null) return { chunk: undefined, compressed: undefined };
  if (!isMap(value)) throw new ForwardRejection('malformed', 'option must be a map');
  const chunk = typeof value.chunk === 'string' && value.chunk.length > 0 ? value.chunk : undefined;
  const compressed = typeof value.compressed === 'string' ? value.compressed : undefined;
  return { chunk, compressed };
}

function inflate(payload: Buffer, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxOutputLength stops inflating at the cap, so a gzip bomb costs at most maxBytes of memory.
    gunzip(payload, { maxOutputLength: maxBytes }, (err, out) => {
      if (!err) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        reject(new ForwardRejection('decompressed_too_large', `gzip payload inflates past forward.limits.maxDecompressedBytes (${maxBytes} bytes)`));
      } else {
        reject(new ForwardRejection('bad_compression', `gzip payload cannot be inflated: ${err.message}`));
      }
    });
  });
}

class TooManyEntries extends Error {}

/** Decodes entries one at a time and stops at the cap, so a tiny frame of tiny entries cannot become millions of objects. */
function unpackEntries(bytes: Buffer, max: number): unknown[] {
  const out: unknown[] = [];
  try {
    unpackr.unpackMultiple(bytes, (value: unknown) => {
      if (out.length >= max) throw new TooManyEntries();
      out.push(value);
    });
  } catch (err) {
    if (err instanceof TooManyEntries) throw new ForwardRejection('too_many_entries', `more than forward.limits.maxEntriesPerFrame (${max}) entries in one frame`);
    throw new ForwardRejection('malformed', `undecodable PackedForward entries: ${errorMessage(err)}`);
  }
  return out;
}

/**
 * Decodes one complete frame (Forward Protocol Specification v1, "Event Modes"). PackedForward payloads
 * are read as raw bytes from the frame, so a str-typed payload from an old msgpack encoder is not mangled
 * by UTF-8 decoding; gzip payloads are inflated off the event loop with a byte cap.
 */
export async function decodeFrame(frame: Buffer, limits: FrameLimits): Promise<ForwardFrame> {
  // [Forward v1, "Heartbeat Message"]: a nil on the TCP stream is a keep-alive.
  if (frame.length === 1 && frame[0] === 0xc0) return { kind: 'keepalive' };
  const header = arrayHeader(frame);
  if (!header || header.count < 2 || header.count > 6) throw new ForwardRejection('malformed', 'a frame must be an array of 2 to 4 elements');
  const bounds: Array<[number, number]> = [];
  try {
    let pos = header.first;
    for (let i = 0; i < header.count; i++) {
      const end = valueEnd(frame, pos);
      bounds.push([pos, end]);
      pos = end;
    }
  } catch (err) {
    throw new ForwardRejection('malformed', err instanceof FrameScanError ? err.message : errorMessage(err));
  }
  const tag = decodeAt(frame, ...bounds[0]!);
  if (typeof tag !== 'string' || tag.length === 0) throw new ForwardRejection('malformed', 'the first element (tag) must be a non-empty string');
  if (tag === 'PING' && header.count === 6) return { kind: 'ping', fields: bounds.map(([s, e]) => decodeAt(frame, s, e)) };
  if (header.count > 4) throw new ForwardRejection('malformed', 'a frame must be an array of 2 to 4 elements');

  const [secondStart, secondEnd] = bounds[1]!;
  const packed = rawBytesRange(frame, secondStart);
  if (packed) {
    if (header.count > 3) throw new ForwardRejection('malformed', 'PackedForward frames have at most 3 elements');
    const options = bounds[2] ? readOptions(decodeAt(frame, ...bounds[2])) : readOptions(undefined);
    let payload = frame.subarray(packed.start, packed.end);
    let mode: ForwardMode = 'PackedForward';
    if (options.compressed === 'gzip') {
      mode = 'CompressedPackedForward';
      payload = await inflate(payload, limits.maxDecompressedBytes);
    } else if (options.compressed !== undefined && options.compressed !== 'text') {
      // fluent-logger sends compressed: "text" for plain PackedForward.
      throw new ForwardRejection('bad_compression', `unsupported compressed option "${options.compressed}" (expected "gzip")`);
    }
    return { kind: 'events', mode, tag, entries: unpackEntries(payload, limits.maxEntriesPerFrame), payload, chunk: options.chunk };
  }

  const second = decodeAt(frame, secondStart, secondEnd);
  if (Array.isArray(second)) {
    if (header.count > 3) throw new ForwardRejection('malformed', 'Forward frames have at most 3 elements');
    if (second.length > limits.maxEntriesPerFrame) throw new ForwardRejection('too_many_entries', `more than forward.limits.maxEntriesPerFrame (${limits.maxEntriesPerFrame}) entries in one frame`);
    const options = bounds[2] ? readOptions(decodeAt(frame, ...bounds[2])) : readOptions(undefined);
    // The entries' own bytes, without the array header: the same shape as a PackedForward payload.
    const payload = frame.subarray(secondStart + arrayHeader(frame.subarray(secondStart))!.first, secondEnd);
    return { kind: 'events', mode: 'Forward', tag, entries: second, payload, chunk: options.chunk };
  }
  if (typeof second === 'number' || second instanceof EventTime) {
    if (header.count < 3) throw new ForwardRejection('malformed', 'Message frames are [tag, time, record, option?]');
    const record = decodeAt(frame, ...bounds[2]!);
    const options = bounds[3] ? readOptions(decodeAt(frame, ...bounds[3])) : readOptions(undefined);
    const payload = Buffer.concat([ENTRY_HEADER, frame.subarray(secondStart, bounds[2]![1])]);
    return { kind: 'events', mode: 'Message', tag, entries: [[second, record]], payload, chunk: options.chunk };
  }
  throw new ForwardRejection('unsupported_mode', 'the second element must be a time (Message), an array (Forward) or bin/str entries (PackedForward)');
}
