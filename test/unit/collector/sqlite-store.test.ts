import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Packr } from 'msgpackr';
import type { Event } from '../../../collector/events/event.js';
import { normaliseEntries } from '../../../collector/events/normalise.js';
import type { StoredBatch } from '../../../collector/store/event-store.js';
import { SqliteEventStore, type SqliteStoreOptions } from '../../../collector/store/sqlite-store.js';
import { tempDir } from '../../support/paths.js';

const packr = new Packr({ useRecords: false });
const T0 = Date.UTC(2026, 0, 1) / 1000;
const traceOf = (n: number) => n.toString(16).padStart(32, 'a');

/** A batch as the pipeline hands it over: raw entries plus the events normalised from them. */
function batch(tag: string, rows: Array<{ sec: number; msg: string; trace?: number; level?: string; sid?: string; seq?: number }>): StoredBatch {
  const entries = rows.map((r) => [
    r.sec,
    { msg: r.msg, level: r.level ?? 'info', ...(r.trace !== undefined ? { trace_id: traceOf(r.trace) } : {}), ...(r.sid !== undefined ? { sid: r.sid, seq: r.seq } : {}) },
  ]);
  const payload = Buffer.concat(entries.map((e) => Buffer.from(packr.pack(e))));
  const events: Event[] = [];
  normaliseEntries(tag, entries, events, () => {});
  return { tag, payload, events };
}

describe('SqliteEventStore', () => {
  let dir: { dir: string; cleanup(): void };
  let options: SqliteStoreOptions;
  const open: SqliteEventStore[] = [];
  const store = (over: Partial<SqliteStoreOptions> = {}) => {
    const s = new SqliteEventStore({ ...options, ...over });
    open.push(s);
    return s;
  };
  beforeEach(() => {
    dir = tempDir();
    options = { path: join(dir.dir, 'c.db'), synchronous: 'normal', segmentRecords: 100, maxAgeMs: 3_600_000, maxBytes: 1 << 30, dedupWindowMs: 3_600_000 };
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    dir.cleanup();
  });

  it('stores a resent chunk once and reports the duplicate', () => {
    const s = store();
    const b = batch('edgewatch.edge-1.web', [{ sec: T0, msg: 'a', trace: 1 }]);
    assert.deepEqual(s.append(b, 'chunk-1', T0 * 1000), { duplicate: false });
    assert.deepEqual(s.append(b, 'chunk-1', T0 * 1000), { duplicate: true });
    assert.equal(s.stats().records, 1);
    assert.equal(s.trace(traceOf(1), 10).length, 1);
  });

  it('finds a trace in sealed segments, in the hot index, and after a restart', () => {
    const s = store({ segmentRecords: 10 });
    // 25 blocks of 2 records: two sealed segments and a hot one; trace 7 appears in every fifth block.
    for (let i = 0; i < 25; i++) {
      s.append(batch(`edgewatch.edge-${i % 2}.web`, [{ sec: T0 + i, msg: `m${i}`, trace: i % 5 === 0 ? 7 : 1000 + i }, { sec: T0 + i, msg: `n${i}`, trace: 2000 + i }]), `c${i}`, T0 * 1000);
    }
    const want = ['m0', 'm5', 'm10', 'm15', 'm20'];
    assert.deepEqual(s.trace(traceOf(7), 100).map((e) => e.msg), want);
    s.close();
    const again = store({ segmentRecords: 10 });
    assert.deepEqual(again.trace(traceOf(7), 100).map((e) => e.msg), want, 'the hot index is rebuilt from blocks after a restart');
    assert.equal(again.stats().records, 50);
    assert.deepEqual(again.trace(traceOf(999), 100), []);
  });

  it('finds a node\'s logs across sealed segments and the hot one, after a restart too, and in one group commit', () => {
    const s = store({ segmentRecords: 10 });
    const rows = (node: string, from: number) => Array.from({ length: 4 }, (_, i) => ({ sec: T0 + from + i, msg: `${node} ${from + i}` }));
    for (let k = 0; k < 6; k++) s.append(batch(`edgewatch.edge-${k % 2}.web`, rows(`edge-${k % 2}`, k * 10)), undefined, 0);
    s.appendMany([0, 1].map((k) => ({ batch: batch(`edgewatch.edge-${k}.web`, rows(`edge-${k}`, 100)), chunkId: `c${k}`, nowMs: 0 })));
    const msgs = (st: SqliteEventStore) => st.logs({ node: 'edge-0', limit: 100 }).map((e) => e.msg);
    const want = [0, 20, 40, 100].flatMap((from) => [0, 1, 2, 3].map((i) => `edge-0 ${from + i}`));
    assert.deepEqual(msgs(s), want, 'sealed blocks (from the stream index) and hot ones (in memory)');
    assert.deepEqual(s.logs({ node: 'edge-0', task: 'web', limit: 3 }).map((e) => e.msg), ['edge-0 101', 'edge-0 102', 'edge-0 103']);
    s.close();
    assert.deepEqual(msgs(store({ segmentRecords: 10 })), want, 'the hot stream index is rebuilt at start');
  });

  it('returns the newest matching logs in time order, even when an old backlog arrives last', () => {
    const s = store();
    s.append(batch('edgewatch.edge-1.web', [{ sec: T0 + 10, msg: 'new-1' }, { sec: T0 + 11, msg: 'new-2', level: 'error' }]), 'a', 0);
    s.append(batch('edgewatch.edge-2.web', [{ sec: T0 + 12, msg: 'other node' }]), 'b', 0);
    s.append(batch('edgewatch.edge-1.web', [{ sec: T0 + 1, msg: 'backlog-1' }, { sec: T0 + 12, msg: 'backlog-late' }]), 'c', 0);
    const msgs = (q: Parameters<SqliteEventStore['logs']>[0]) => s.logs(q).map((e) => e.msg);
    assert.deepEqual(msgs({ node: 'edge-1', limit: 2 }), ['new-2', 'backlog-late']);
    assert.deepEqual(msgs({ node: 'edge-1', limit: 10 }), ['backlog-1', 'new-1', 'new-2', 'backlog-late']);
    assert.deepEqual(msgs({ node: 'edge-1', task: 'web', sinceMs: (T0 + 5) * 1000, untilMs: (T0 + 11) * 1000, limit: 10 }), ['new-1', 'new-2']);
    assert.deepEqual(msgs({ levels: ['error'], limit: 10 }), ['new-2']);
    assert.deepEqual(msgs({ node: 'edge-3', limit: 10 }), []);
  });

  it('retention deletes by age, then the oldest data while over the size limit', () => {
    const s = store({ maxAgeMs: 60_000, maxBytes: 1 << 30 });
    s.append(batch('edgewatch.edge-1.web', [{ sec: T0, msg: 'old', trace: 1 }]), 'a', 0);
    s.append(batch('edgewatch.edge-1.web', [{ sec: T0 + 120, msg: 'new', trace: 1 }]), 'b', 0);
    assert.deepEqual(s.retain((T0 + 121) * 1000), { age: 1, size: 0 });
    assert.deepEqual(s.trace(traceOf(1), 10).map((e) => e.msg), ['new']);

    const sized = store({ path: join(dir.dir, 'sized.db'), maxBytes: 1 });
    for (let i = 0; i < 3; i++) sized.append(batch('edgewatch.edge-1.web', [{ sec: T0 + i, msg: `m${i}` }]), `s${i}`, 0);
    const before = sized.stats().bytes;
    const r = sized.retain((T0 + 10) * 1000);
    assert.equal(r.size, 3);
    assert.ok(sized.stats().bytes < before);
    assert.equal(sized.stats().records, 0);
  });

  it('forgets chunk ids after the dedup window', () => {
    const s = store({ dedupWindowMs: 1000, maxAgeMs: 1e12 });
    const b = batch('edgewatch.edge-1.web', [{ sec: T0, msg: 'a' }]);
    s.append(b, 'chunk-1', 1000);
    s.retain(5000);
    assert.deepEqual(s.append(b, 'chunk-1', 5000), { duplicate: false });
  });

  /** An exporter's chunk: records `from`..`to` of spool `sid`. */
  const spool = (sid: string, from: number, to: number) =>
    batch('edgewatch.edge-1.web', Array.from({ length: to - from + 1 }, (_, i) => ({ sec: T0 + from + i, msg: `r${from + i}`, sid, seq: from + i })));

  it('remembers the exporter records it stored across restarts, before and after retention folds the marks', () => {
    const s = store();
    s.append(spool('spool-a', 1, 10), undefined, 1000);
    s.appendMany([{ batch: spool('spool-b', 1, 5), chunkId: undefined, nowMs: 1000 }, { batch: spool('spool-a', 20, 25), chunkId: undefined, nowMs: 1000 }]);
    const seen = (st: SqliteEventStore) => ['spool-a:1', 'spool-a:10', 'spool-a:15', 'spool-a:25', 'spool-b:5', 'spool-b:6'].filter((k) => st.delivered(k.split(':')[0]!, Number(k.split(':')[1])));
    const want = ['spool-a:1', 'spool-a:10', 'spool-a:25', 'spool-b:5'];
    assert.deepEqual(seen(s), want);
    s.close();
    const replayed = store();
    assert.deepEqual(seen(replayed), want, 'replayed from the blocks written since the last fold');
    replayed.retain(2000);
    replayed.append(spool('spool-b', 6, 6), undefined, 2000);
    replayed.close();
    assert.deepEqual(seen(store()), [...want, 'spool-b:6'], 'folded rows plus the block written after the fold');
  });

  it('does not mark records whose write failed, so their resend is stored', () => {
    const s = store();
    const broken = { ...spool('spool-a', 1, 3), tag: null as unknown as string };
    assert.throws(() => s.append(broken, undefined, 1000));
    assert.equal(s.delivered('spool-a', 1), false);
    s.append(spool('spool-a', 1, 3), undefined, 1000);
    assert.equal(s.delivered('spool-a', 1), true);
    assert.equal(s.stats().records, 3);
  });

  it('forgets a spool silent for the dedup window, and keeps replaying marks when retention empties the store', () => {
    const s = store({ dedupWindowMs: 1000, maxAgeMs: 1e12, maxBytes: 1 });
    s.append(spool('spool-a', 1, 3), undefined, 1000);
    s.retain(1500);
    assert.equal(s.delivered('spool-a', 1), true, 'seen within the window');
    assert.equal(s.stats().records, 0, 'the size limit removed every block');
    s.retain(5000);
    assert.equal(s.delivered('spool-a', 1), false);
    s.append(spool('spool-c', 1, 2), undefined, 5000);
    s.close();
    assert.equal(store({ dedupWindowMs: 1000 }).delivered('spool-c', 2), true, 'block ids restart after an empty store; the replay does too');
  });

  it('writes the trace index in parts as the hot segment fills; lookups find every part, sealed or not, before and after a restart', () => {
    // 36,000 distinct traces: two full parts (16,384 pairs each) written while hot, the rest sealed with the segment
    const segmentRecords = 30_000;
    const s = store({ segmentRecords });
    const ID = 0x1000_0000; // ids of one hex length, so no two collide under traceOf's padding
    const traced = (from: number) => batch('edgewatch.edge-1.web', Array.from({ length: 1000 }, (_, i) => ({ sec: T0 + from + i, msg: `t${from + i}`, trace: ID + from + i })));
    for (let k = 0; k < 36; k++) s.append(traced(k * 1000), undefined, 0);
    const probes = [5, 16_383, 16_384, 29_999, 30_000, 35_999];
    const found = (st: SqliteEventStore) => probes.map((t) => st.trace(traceOf(ID + t), 10).map((e) => e.msg).join());
    const want = probes.map((t) => `t${t}`);
    assert.deepEqual(found(s), want);
    s.close();
    const again = store({ segmentRecords });
    assert.deepEqual(found(again), want, 'a part written for the unsealed segment is not counted twice after the rebuild');
    for (let k = 36; k < 60; k++) again.append(traced(k * 1000), undefined, 0);
    assert.deepEqual(found(again), want);
    assert.equal(again.trace(traceOf(ID + 59_999), 10).length, 1);
  });

  it('finds the logs of stores that indexed node/task streams per block', () => {
    const s = store({ segmentRecords: 4 });
    for (let k = 0; k < 6; k++) s.append(batch(`edgewatch.edge-${k % 2}.web`, [{ sec: T0 + 2 * k, msg: `m${k}` }, { sec: T0 + 2 * k + 1, msg: `n${k}` }]), undefined, 0);
    s.close();
    // the former layout: a row per (node, task, block)
    const db = new Database(options.path);
    db.exec('CREATE TABLE block_streams (node TEXT NOT NULL, task TEXT NOT NULL, block_id INTEGER NOT NULL, PRIMARY KEY (node, task, block_id)) WITHOUT ROWID');
    const rows = db.prepare('SELECT node, task, segment_id, blocks FROM segment_streams').all() as Array<{ node: string; task: string; blocks: Buffer }>;
    for (const r of rows) for (let at = 0; at < r.blocks.length; at += 4) db.prepare('INSERT INTO block_streams VALUES (?, ?, ?)').run(r.node, r.task, r.blocks.readUInt32BE(at));
    db.exec('DELETE FROM segment_streams');
    db.close();
    const again = store({ segmentRecords: 4 });
    assert.deepEqual(again.logs({ node: 'edge-0', limit: 100 }).map((e) => e.msg), ['m0', 'n0', 'm2', 'n2', 'm4', 'n4']);
  });
});
