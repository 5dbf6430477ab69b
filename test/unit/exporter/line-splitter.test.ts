import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineSplitter } from '../../../exporter/logs/line-splitter.js';

describe('LineSplitter', () => {
  it('joins partial chunks, strips CRLF, and flushes the last line on end', () => {
    const lines: string[] = [];
    const s = new LineSplitter(100, (l) => lines.push(l));
    s.push(Buffer.from('a\r\nb'));
    s.push(Buffer.from('c\nd'));
    s.end();
    assert.deepEqual(lines, ['a', 'bc', 'd']);
  });

  it('does not split a multi-byte character across chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter(100, (l) => lines.push(l));
    const bytes = Buffer.from('héllo\n');
    s.push(bytes.subarray(0, 2));
    s.push(bytes.subarray(2));
    assert.deepEqual(lines, ['héllo']);
  });

  it('cuts a runaway line at maxLineBytes, drops its rest, and reports it', () => {
    const lines: string[] = [];
    let truncated = 0;
    const s = new LineSplitter(10, (l) => lines.push(l), () => truncated++);
    s.push(Buffer.from('0123456789abcdef'));
    s.push(Buffer.from('ghij\nnext\n'));
    s.push(Buffer.from('0123456789ABCDEFGH\n'));
    assert.deepEqual(lines, ['0123456789', 'next', '0123456789']);
    assert.equal(truncated, 2);
  });
});
