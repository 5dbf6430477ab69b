import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLine, parseLogfmt } from '../../../exporter/logs/parser.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('log line parser', () => {
  it('maps the JSON fields of DESIGN.md into a record', () => {
    const p = parseLine(JSON.stringify({ level: 'ERROR', msg: 'GET /x', trace_id: TRACE.toUpperCase(), span_id: SPAN, status: 503, duration_ms: 12.5, route: '/x' }), 'json', {}, 'info');
    assert.deepEqual(p, { ok: true, level: 'error', msg: 'GET /x', trace_id: TRACE, span_id: SPAN, status: 503, duration_ms: 12.5, attrs: { route: '/x' } });
  });

  it('understands traceId and traceparent spellings', () => {
    assert.equal(parseLine(JSON.stringify({ traceId: TRACE }), 'json', {}, 'info').trace_id, TRACE);
    const p = parseLine(JSON.stringify({ traceparent: `00-${TRACE}-${SPAN}-01` }), 'json', {}, 'info');
    assert.equal(p.trace_id, TRACE);
    assert.equal(p.span_id, SPAN);
  });

  it('ignores invalid trace ids, statuses and durations instead of failing', () => {
    const p = parseLine(JSON.stringify({ trace_id: 'nope', status: 'weird-1', duration_ms: -3, msg: 'x' }), 'json', {}, 'info');
    assert.equal(p.ok, true);
    assert.equal(p.trace_id, undefined);
    assert.equal(p.status, undefined);
    assert.equal(p.duration_ms, undefined);
  });

  it('keeps a garbage line as text with ok=false', () => {
    for (const line of ['plain text', '{"unterminated": ', '[1,2]', '\u0000\u0001']) {
      const p = parseLine(line, 'json', {}, 'info');
      assert.deepEqual(p, { ok: false, level: 'info', msg: line });
    }
  });

  it('reads pino numeric levels and ISO / epoch times', () => {
    const p = parseLine(JSON.stringify({ level: 50, time: 1767225600000, msg: 'm' }), 'json', {}, 'info');
    assert.equal(p.level, 'error');
    assert.equal(p.ts, 1767225600000);
    assert.equal(parseLine(JSON.stringify({ ts: '2026-01-01T00:00:00Z' }), 'json', {}, 'info').ts, Date.UTC(2026, 0, 1));
  });

  it('parses logfmt, quoted values included', () => {
    assert.deepEqual(parseLogfmt('level=warn msg="slow request" status=200 duration_ms=1500 flag'), {
      level: 'warn',
      msg: 'slow request',
      status: '200',
      duration_ms: '1500',
      flag: 'true',
    });
    const p = parseLine('level=warn msg="slow \\"db\\"" status=200 duration_ms=1500', 'logfmt', {}, 'info');
    assert.deepEqual(p, { ok: true, level: 'warn', msg: 'slow "db"', status: 200, duration_ms: 1500 });
  });

  it('honours a field mapping', () => {
    const p = parseLine(JSON.stringify({ text: 'hello', code: 404, took: 3 }), 'json', { msg: 'text', duration_ms: 'took' }, 'info');
    assert.equal(p.msg, 'hello');
    assert.equal(p.status, 404);
    assert.equal(p.duration_ms, 3);
    assert.equal(p.attrs, undefined);
  });

  it('text format takes the line as the message', () => {
    assert.deepEqual(parseLine('anything {at all}', 'text', {}, 'warn'), { ok: true, level: 'warn', msg: 'anything {at all}' });
  });
});
