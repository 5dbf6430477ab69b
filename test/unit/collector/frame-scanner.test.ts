import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { FrameScanError, FrameScanner } from '../../../collector/ingest/forward/frame-scanner.js';

const packr = new Packr({ useRecords: false });
const pack = (v: unknown) => Buffer.from(packr.pack(v));

describe('FrameScanner', () => {
  const frame = pack(['edgewatch.edge-1.web', [[1767225600, { msg: 'a', n: 1, nested: { deep: [1, 2, { x: 'y' }] } }]], { chunk: 'abc' }]);

  it('finds the end of a frame fed one byte at a time, and not before', () => {
    const s = new FrameScanner(1 << 20, 32);
    for (let n = 1; n < frame.length; n++) assert.equal(s.scan(frame.subarray(0, n)), -1, `claimed complete at ${n} bytes`);
    assert.equal(s.scan(frame), frame.length);
  });

  it('delimits back-to-back frames and a nil keep-alive between them', () => {
    const stream = Buffer.concat([frame, Buffer.from([0xc0]), frame]);
    const s = new FrameScanner(1 << 20, 32);
    const first = s.scan(stream);
    assert.equal(first, frame.length);
    assert.equal(s.scan(stream.subarray(first)), 1);
    assert.equal(s.scan(stream.subarray(first + 1)), frame.length);
  });

  it('refuses a frame over the size limit as soon as its header says so', () => {
    const s = new FrameScanner(1000, 32);
    // bin32 header announcing 1 MB: refused before the bytes arrive.
    const head = Buffer.from([0x93, 0xa3, 0x61, 0x62, 0x63, 0xc6, 0x00, 0x10, 0x00, 0x00]);
    assert.throws(() => s.scan(head), (e: unknown) => e instanceof FrameScanError && e.reason === 'frame_too_large');
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = Buffer.concat([Buffer.alloc(40, 0x91), Buffer.from([0xc0])]);
    assert.throws(() => new FrameScanner(1 << 20, 32).scan(deep), (e: unknown) => e instanceof FrameScanError && e.reason === 'too_deep');
  });

  it('refuses the never-used byte 0xc1', () => {
    assert.throws(() => new FrameScanner(1 << 20, 32).scan(Buffer.from([0x92, 0xc1, 0x01])), (e: unknown) => e instanceof FrameScanError && e.reason === 'malformed');
  });
});
