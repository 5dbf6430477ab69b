// Guards the at-least-once link: fluent-logger gives each flush a new chunk id, so a resend after a lost
// ack must be recognised by the records' spool id and sequence, including a partial overlap.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { emit, endSender, sender, startTestCollector, type Sender, type TestCollector } from '../../support/collector-harness.js';

describe('collector drops exporter records it has stored before', () => {
  let c: TestCollector;
  let s: Sender;
  before(async () => {
    c = await startTestCollector();
    s = sender('edgewatch.edge-d', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true });
  });
  after(async () => {
    endSender(s);
    await c.stop();
  });

  const rec = (seq: number) => ({ ts: 1_767_225_600_000 + seq, node: 'edge-d', task: 'web', stream: 'stdout', level: 'info', msg: `m${seq}`, sid: 'spool-1', seq });

  it('stores a resent batch once, and only the new part of an overlapping one', async () => {
    await Promise.all([0, 1, 2, 3].map((i) => emit(s, 'web', rec(i))));
    await Promise.all([0, 1, 2, 3].map((i) => emit(s, 'web', rec(i)))); // resend, new chunk id
    await Promise.all([2, 3, 4, 5].map((i) => emit(s, 'web', rec(i)))); // overlaps by two
    const { body } = await c.api<{ records: Array<{ msg: string }> }>('/api/logs?node=edge-d&since=2000-01-01T00:00:00Z&limit=100');
    assert.deepEqual(body.records.map((r) => r.msg), ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    assert.equal(await c.metric('edgewatch_collector_duplicate_records_total'), 6);
  });
});
