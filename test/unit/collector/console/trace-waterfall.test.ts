import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordView } from '../../../../collector/api/record-view.js';
import { recordsJson } from '../../../../collector/console/trace-page.js';
import { incidentIdsOf, kindOf, waterfall } from '../../../../collector/console/trace-waterfall.js';

const T0 = Date.UTC(2026, 0, 1);
const rec = (ms: number, o: Partial<RecordView>): RecordView => ({ time: new Date(ms).toISOString(), timeUnixNano: String(BigInt(ms) * 1_000_000n), node: 'edge-1', task: 'api', level: 'info', msg: 'm', ...o });

describe('trace waterfall', () => {
  const records = [
    rec(T0 + 100, { task: 'loadgen', msg: 'GET /api/orders', attrs: { upstream_status: 500 } }),
    rec(T0 + 100, { msg: 'GET /api/orders', status: 500, duration_ms: 100, level: 'error' }),
    rec(T0 + 110, { node: 'edge-1', task: null, service: 'edgewatch-collector', level: 'warn', msg: 'rule consecutive-5xx fired', attrs: { incident_id: 'i1', rule: 'consecutive-5xx' } }),
    rec(T0 + 120, { node: 'edge-1', task: null, service: 'edgewatch-collector', msg: 'command restart api on edge-1 issued', attrs: { command_id: 'c1' } }),
    rec(T0 + 400, { stream: 'agent', msg: 'command restart api done', attrs: { command_id: 'c1' } }),
    rec(T0 + 200, { msg: 'GET /api/orders', status: 200, duration_ms: 5 }),
  ];

  it('tells the remediation spans from requests and logs', () => {
    assert.deepEqual(records.map(kindOf), ['log', 'error', 'rule', 'command', 'edge-action', 'request']);
    assert.deepEqual(incidentIdsOf(records), ['i1']);
    assert.equal(kindOf(rec(T0, { attrs: { incident_id: 'forged' } })), 'log', 'only the collector writes rule firings');
  });

  it('places every record on one axis: a request is a bar ending when it was logged', () => {
    const { rows, startMs, spanMs } = waterfall(records);
    assert.equal(startMs, T0);
    assert.equal(spanMs, 400);
    const failing = rows[1]!;
    assert.deepEqual([failing.x, failing.width, failing.offsetMs], [0, 250, 100]);
    assert.deepEqual([rows[4]!.x, rows[4]!.width], [997, 3], 'a tick at the end stays inside the axis');
    assert.equal(rows[2]!.source, 'edgewatch-collector');
    assert.equal(rows[0]!.source, 'edge-1/loadgen');
    assert.deepEqual(waterfall([]), { rows: [], startMs: 0, spanMs: 0 });
  });

  it('the records data block cannot be closed by a record, and reads back as the records', () => {
    const hostile = [rec(T0, { msg: '</script><script>alert(1)</script> & <!-- \u2028', attrs: { big: 1n, bytes: new Uint8Array([1, 2]) } })];
    const json = recordsJson(hostile);
    assert.doesNotMatch(json, /[<>&\u2028]/);
    const back = JSON.parse(json) as Array<{ msg: string; attrs: { big: string; bytes: string } }>;
    assert.equal(back[0]!.msg, hostile[0]!.msg);
    assert.deepEqual(back[0]!.attrs, { big: '1', bytes: 'AQI=' });
  });
});
