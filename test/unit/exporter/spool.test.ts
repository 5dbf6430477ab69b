import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Spool, type SpoolEvents } from '../../../exporter/spool/spool.js';
import type { LogRecord } from '../../../protocol/log-record.js';
import { tempDir } from '../../support/paths.js';

const rec = (i: number): LogRecord => ({ ts: 1_767_225_600_000 + i, node: 'edge-1', task: 'web', stream: 'stdout', level: 'info', msg: `line ${i}` });

function recorder() {
  const log: Array<[string, number, string]> = [];
  const events: SpoolEvents = { dropped: (n, reason) => log.push(['dropped', n, reason]), quarantined: (b, p) => log.push(['quarantined', b, p]) };
  return { log, events };
}

describe('Spool', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it('keeps unacked records across a close and reopen; acked ones are gone', () => {
    const { events } = recorder();
    let spool = new Spool(tmp.dir, { maxBytes: 1 << 20 }, events);
    for (let i = 0; i < 10; i++) spool.append(rec(i));
    const first = spool.nextBatch('live', 4, 1 << 20)!;
    assert.deepEqual(first.records.map((r) => r.msg), ['line 0', 'line 1', 'line 2', 'line 3']);
    assert.deepEqual(first.records.map((r) => r.seq), [0, 1, 2, 3]);
    spool.ack(first);
    const id = spool.id;
    spool.close();
    spool = new Spool(tmp.dir, { maxBytes: 1 << 20 }, events);
    assert.equal(spool.id, id, 'the spool id survives a restart');
    assert.equal(spool.stats().records, 6);
    const rest = spool.nextBatch('live', 100, 1 << 20)!;
    assert.deepEqual(rest.records.map((r) => r.seq), [4, 5, 6, 7, 8, 9]);
    spool.ack(rest);
    assert.equal(spool.append(rec(10)), 10, 'sequence numbers continue after a restart');
    spool.close();
  });

  it('an unacked batch is read again with the same sequence numbers (resend)', () => {
    const spool = new Spool(tmp.dir, { maxBytes: 1 << 20 }, recorder().events);
    for (let i = 0; i < 3; i++) spool.append(rec(i));
    const a = spool.nextBatch('live', 10, 1 << 20)!;
    const b = spool.nextBatch('live', 10, 1 << 20)!;
    assert.deepEqual(b.records, a.records);
    spool.close();
  });

  it('quarantines a torn last record (power cut) and delivers the rest', () => {
    const { log, events } = recorder();
    let spool = new Spool(tmp.dir, { maxBytes: 1 << 20 }, events);
    for (let i = 0; i < 5; i++) spool.append(rec(i));
    spool.close();
    const seg = readdirSync(tmp.dir).find((f) => f.endsWith('.seg'))!;
    appendFileSync(join(tmp.dir, seg), Buffer.from([0, 0, 0, 200, 1, 2, 3, 4, 123, 34])); // header promising 200 bytes, 2 present
    spool = new Spool(tmp.dir, { maxBytes: 1 << 20 }, events);
    const batch = spool.nextBatch('live', 100, 1 << 20)!;
    assert.equal(batch.records.length, 5);
    assert.equal(log[0]![0], 'quarantined');
    assert.equal(log[0]![1], 10);
    assert.ok(existsSync(log[0]![2]), 'the damaged bytes are kept for inspection');
    spool.append(rec(5));
    spool.ack(batch);
    assert.deepEqual(spool.nextBatch('live', 100, 1 << 20)!.records.map((r) => r.msg), ['line 5'], 'new records follow the good ones');
    spool.close();
  });

  it('at the size cap drops the oldest segment and counts what was lost', () => {
    const { log, events } = recorder();
    const spool = new Spool(tmp.dir, { maxBytes: 64 * 1024, segmentBytes: 16 * 1024 }, events);
    for (let i = 0; i < 2000; i++) {
      spool.append(rec(i));
      if (i % 50 === 0) spool.flush();
    }
    spool.flush();
    const onDisk = readdirSync(tmp.dir).filter((f) => f.endsWith('.seg')).reduce((a, f) => a + statSync(join(tmp.dir, f)).size, 0);
    assert.ok(onDisk <= 64 * 1024 + 16 * 1024, `spool uses ${onDisk} bytes`);
    const dropped = log.filter((e) => e[0] === 'dropped').reduce((a, e) => a + e[1], 0);
    assert.ok(dropped > 0);
    assert.equal(dropped + spool.stats().records, 2000, 'every record is either kept or counted as dropped');
    assert.ok(log.every((e) => e[0] !== 'dropped' || e[2] === 'spool_full'));
    // the oldest records went first
    const firstKept = spool.nextBatch('backlog', 1, 1 << 20)!.records[0]!.seq!;
    assert.equal(firstKept, dropped);
    spool.close();
  });

  it('sealing the active segment turns unsent records into backlog and starts the live lane fresh', () => {
    const spool = new Spool(tmp.dir, { maxBytes: 1 << 20 }, recorder().events);
    for (let i = 0; i < 3; i++) spool.append(rec(i));
    spool.sealActive();
    spool.append(rec(3));
    assert.deepEqual(spool.nextBatch('live', 10, 1 << 20)!.records.map((r) => r.seq), [3]);
    const backlog = spool.nextBatch('backlog', 10, 1 << 20)!;
    assert.deepEqual(backlog.records.map((r) => r.seq), [0, 1, 2]);
    spool.ack(backlog);
    assert.equal(readdirSync(tmp.dir).filter((f) => f.endsWith('.seg')).length, 1, 'a fully acked sealed segment is deleted');
    spool.close();
  });
});
