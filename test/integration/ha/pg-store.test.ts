// The PostgreSQL backend behind the store interfaces, on the real server: migrations, state, outbox, logs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { AuditLog } from '../../../collector/audit/audit-log.js';
import { TokenStore } from '../../../collector/auth/token-store.js';
import { CommandLog } from '../../../collector/control/command-log.js';
import { DesiredSpecs } from '../../../collector/desired/desired-specs.js';
import type { Event } from '../../../collector/events/event.js';
import { normaliseEntries } from '../../../collector/events/normalise.js';
import type { Incident } from '../../../collector/incidents/incident.js';
import { IncidentStore } from '../../../collector/incidents/incident-store.js';
import { PgWebhookOutbox } from '../../../collector/notify/pg-outbox.js';
import { EpochStore } from '../../../collector/state/state-db.js';
import { numberedParams } from '../../../collector/state/sql-database.js';
import type { StoredBatch } from '../../../collector/store/event-store.js';
import { MIGRATIONS, migrate } from '../../../collector/store/pg/migrations.js';
import { PgDatabase } from '../../../collector/store/pg/pg-database.js';
import { PgEventStore } from '../../../collector/store/pg/pg-event-store.js';
import { PgQueryError, SyncPg } from '../../../collector/store/pg/sync-pg.js';
import { FakeClock } from '../../../common/clock.js';
import { parseTaskSpec } from '../../../protocol/task-spec.js';
import { requirePostgres, testSchema, type TestSchema } from '../../support/postgres.js';

const { skip } = await requirePostgres();
const packr = new Packr({ useRecords: false });
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const traceOf = (n: number) => n.toString(16).padStart(32, 'a');

function batch(tag: string, rows: Array<{ ms: number; msg: string; trace?: number; level?: string; sid?: string; seq?: number }>): StoredBatch {
  const entries = rows.map((r) => [
    r.ms / 1000,
    { msg: r.msg, level: r.level ?? 'info', ...(r.trace !== undefined ? { trace_id: traceOf(r.trace) } : {}), ...(r.sid !== undefined ? { sid: r.sid, seq: r.seq } : {}) },
  ]);
  const events: Event[] = [];
  normaliseEntries(tag, entries, events, () => {});
  return { tag, payload: Buffer.concat(entries.map((e) => Buffer.from(packr.pack(e)))), events };
}

/** The first batch stored by the synchronous test (chunk ch-a), to send again. */
const a0 = () => batch('edgewatch.edge-1.web', [{ ms: T0 + 2000, msg: 'b', trace: 1 }, { ms: T0 + 1000, msg: 'a', trace: 1, level: 'error' }]);

describe('PostgreSQL store', { skip }, () => {
  let s: TestSchema;
  let db: PgDatabase;
  const retention = { maxAgeMs: 30 * DAY, maxBytes: 1 << 30, dedupWindowMs: DAY };
  before(async () => {
    s = await testSchema();
    db = new PgDatabase({ url: s.url, schema: s.schema });
  });
  after(async () => {
    db?.close();
    await s?.drop();
  });

  it('applies every migration once, in order, and records them', async () => {
    assert.deepEqual(db.migration.applied.map((m) => m.version), MIGRATIONS.map((m) => m.version));
    assert.equal(db.migration.version, MIGRATIONS.at(-1)!.version);
    const again = migrate(db.pg, s.schema);
    assert.deepEqual(again.applied, [], 'a second run applies nothing');
    const rows = await s.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  });

  it('rewrites ? placeholders outside quotes only', () => {
    assert.equal(numberedParams("SELECT * FROM t WHERE a = ? AND b = '?' AND c > ?"), "SELECT * FROM t WHERE a = $1 AND b = '?' AND c > $2");
  });

  it('keeps incidents, commands, epochs, desired specs, tokens and audit entries', () => {
    const clock = new FakeClock(T0);
    const incidents = new IncidentStore(db);
    const open = { id: 'i-1', fingerprint: 'fp-1', status: 'firing', startedAt: T0, updatedAt: T0, rule: 'r', labels: { node: 'n', task: 't' }, actions: [] } as unknown as Incident;
    incidents.save(open);
    incidents.save({ ...open, id: 'i-0', fingerprint: 'fp-0', status: 'resolved', startedAt: T0 - 1000 } as Incident);
    assert.deepEqual(incidents.loadOpen().map((i) => i.id), ['i-1']);
    assert.deepEqual(incidents.list(10).map((i) => i.id), ['i-1', 'i-0']);
    assert.deepEqual(incidents.counts(), { firing: 1, remediating: 0, resolved: 1, escalated: 0 });
    assert.equal(incidents.get('i-1')?.fingerprint, 'fp-1');
    // one unresolved incident per fingerprint, whichever replica writes
    assert.throws(() => incidents.save({ ...open, id: 'i-2' } as Incident), (err: unknown) => err instanceof PgQueryError && err.sqlState === '23505');

    const commands = new CommandLog(db);
    commands.save({ id: 'c-1', node: 'n', type: 'restart', task: 't', issuedAt: T0, expiresAt: T0 + 1, epoch: 3, traceparent: 'x', status: 'pending', attempts: 1, acks: [] });
    commands.save({ id: 'c-1', node: 'n', type: 'restart', task: 't', issuedAt: T0, expiresAt: T0 + 1, epoch: 3, traceparent: 'x', status: 'done', attempts: 1, acks: [] });
    assert.equal(commands.get('c-1')?.status, 'done');

    const epochs = new EpochStore(db);
    assert.equal(epochs.epoch('n'), 1);
    assert.equal(epochs.raise('n'), 2);
    epochs.observe('n', 2 ** 20 * 5 + 7); // a command epoch: leader 5, node 7
    epochs.forget();
    assert.equal(epochs.epoch('n'), 7, 'the node part is adopted, read back from the database');

    const desired = new DesiredSpecs(db, clock);
    const spec = parseTaskSpec({ name: 'web', version: 'v2', command: ['node', 'x.js'] });
    assert.ok(spec.ok);
    desired.set('n', spec.spec, 'apply');
    assert.equal(desired.get('n', 'web')?.spec.version, 'v2');
    assert.deepEqual(desired.page(10).specs.map((d) => d.task), ['web']);
    assert.equal(desired.delete('n', 'web'), true);

    const tokens = new TokenStore(db, clock);
    const { token } = tokens.create('ops', 'operator');
    const verified = tokens.verify(token);
    assert.ok(typeof verified === 'object' && verified.role === 'operator');

    const audit = new AuditLog(db, clock);
    audit.record({ who: 'ops', action: 'command.restart', target: 'n/web', outcome: 'sent', detail: { id: 'c-1' } });
    assert.deepEqual(audit.list({ limit: 5, action: 'command' }).map((e) => [e.who, e.outcome, e.detail]), [['ops', 'sent', { id: 'c-1' }]]);
  });

  it('queues webhook deliveries with their idempotency keys, replaces superseded ones, and survives a reopen', () => {
    const outbox = new PgWebhookOutbox(db.pg);
    const d = { webhook: 'http://hook', fingerprint: 'f', idempotencyKey: 'k-1', body: '{}', nextAttemptMs: T0, createdMs: T0 };
    const [first] = outbox.enqueue([d], []);
    const [second] = outbox.enqueue([{ ...d, idempotencyKey: 'k-2' }], [first!.id]);
    outbox.reschedule(second!.id, 2, T0 + 5000);
    const other = new PgDatabase({ url: s.url, schema: s.schema });
    try {
      assert.deepEqual(new PgWebhookOutbox(other.pg).all().map((x) => [x.idempotencyKey, x.attempts, x.nextAttemptMs]), [['k-2', 2, T0 + 5000]]);
    } finally {
      other.close();
    }
    outbox.remove(second!.id);
    assert.deepEqual(outbox.all(), []);
  });

  it('stores log records once per chunk, finds traces and logs in time order, and remembers spool records', () => {
    const store = new PgEventStore(db.pg, retention, T0);
    const a = batch('edgewatch.edge-1.web', [{ ms: T0 + 2000, msg: 'b', trace: 1 }, { ms: T0 + 1000, msg: 'a', trace: 1, level: 'error' }]);
    const b = batch('fluent.api', [{ ms: T0 + 3000, msg: 'c', trace: 1 }, { ms: T0 + DAY, msg: 'next day', trace: 2 }]);
    const c = batch('edgewatch.edge-2.web', [{ ms: T0 + 5000, msg: 'spool', sid: 'sp-1', seq: 1 }, { ms: T0 + 6000, msg: 'spool', sid: 'sp-1', seq: 2 }]);
    assert.deepEqual(
      store.appendMany([
        { batch: a, chunkId: 'ch-a', nowMs: T0 },
        { batch: b, chunkId: 'ch-b', nowMs: T0 },
        { batch: a, chunkId: 'ch-a', nowMs: T0 },
        { batch: c, chunkId: 'ch-c', nowMs: T0 },
      ]),
      [{ duplicate: false }, { duplicate: false }, { duplicate: true }, { duplicate: false }],
    );
    assert.deepEqual(store.append(b, 'ch-b', T0), { duplicate: true });
    assert.equal(store.stats().records, 6);
    assert.deepEqual(store.trace(traceOf(1), 10).map((e) => e.msg), ['a', 'b', 'c']);
    assert.deepEqual(store.logs({ node: 'edge-1', task: 'web', limit: 10 }).map((e) => e.msg), ['a', 'b']);
    assert.deepEqual(store.logs({ levels: ['error'], limit: 10 }).map((e) => e.msg), ['a']);
    assert.deepEqual(store.logs({ limit: 2 }).map((e) => e.msg), ['spool', 'next day'], 'the newest two, in time order');
    assert.deepEqual(store.logs({ task: 'fluent.api', sinceMs: T0, untilMs: T0 + 10_000, limit: 10 }).map((e) => e.msg), ['c'], 'a service counts as the task');
    assert.equal(store.delivered('sp-1', 2), true);
    assert.equal(store.delivered('sp-1', 3), false);
    // another replica taking over reads the same marks and totals from the database
    const other = new PgEventStore(db.pg, retention, T0 + 1000);
    assert.equal(other.delivered('sp-1', 1), true);
    assert.equal(other.stats().records, 6);
  });

  it('group commit without blocking: one statement stores new chunks, skips known ones and repeats within the group', async () => {
    const store = new PgEventStore(db.pg, retention, T0);
    const before = store.stats().records;
    const x = batch('fluent.async', [{ ms: T0 + 7000, msg: 'x1', trace: 9 }, { ms: T0 + 8000, msg: 'x2', trace: 9 }]);
    const y = batch('edgewatch.edge-3.web', [{ ms: T0 + 9000, msg: 'y', trace: 9, sid: 'sp-9', seq: 4 }]);
    const first = store.appendManyAsync([
      { batch: x, chunkId: 'ch-x', nowMs: T0 },
      { batch: x, chunkId: 'ch-x', nowMs: T0 },
      { batch: y, chunkId: 'ch-y', nowMs: T0 },
    ]);
    // a synchronous read sent meanwhile waits its turn on the connection and sees a consistent store
    assert.ok(store.logs({ limit: 100 }).length >= 0);
    assert.deepEqual(await first, [{ duplicate: false }, { duplicate: true }, { duplicate: false }]);
    assert.deepEqual(await store.appendManyAsync([{ batch: x, chunkId: 'ch-x', nowMs: T0 }, { batch: a0(), chunkId: 'ch-a', nowMs: T0 }]), [{ duplicate: true }, { duplicate: true }]);
    assert.deepEqual(store.trace(traceOf(9), 10).map((e) => e.msg), ['x1', 'x2', 'y']);
    assert.equal(store.stats().records, before + 3);
    assert.equal(store.delivered('sp-9', 4), true);
    assert.equal(new PgEventStore(db.pg, retention, T0).delivered('sp-9', 4), true, 'the spool run is stored with the records');
  });

  it('refuses a group commit from a process that does not hold the leader lease', async () => {
    await s.query("INSERT INTO leader_lease VALUES ('collector', 'a/1', 'a', NULL, 3, now(), now(), 10000) ON CONFLICT (name) DO UPDATE SET holder = 'a/1'");
    const z = batch('fluent.fenced', [{ ms: T0 + 7000, msg: 'z', trace: 11 }]);
    const deposed = new PgEventStore(db.pg, { ...retention, holder: 'b/1' }, T0);
    await assert.rejects(deposed.appendManyAsync([{ batch: z, chunkId: 'ch-z', nowMs: T0 }]), /no longer holds the leader lease/);
    const leader = new PgEventStore(db.pg, { ...retention, holder: 'a/1' }, T0);
    assert.deepEqual(await leader.appendManyAsync([{ batch: z, chunkId: 'ch-z', nowMs: T0 }]), [{ duplicate: false }], 'the refused chunk left no trace: it is new to the leader');
    assert.deepEqual(leader.trace(traceOf(11), 10).map((e) => e.msg), ['z']);
    await s.query("DELETE FROM leader_lease");
  });

  it('retention drops whole day partitions past the age limit and prunes the rest of the expired rows', async () => {
    const store = new PgEventStore(db.pg, { ...retention, maxAgeMs: DAY }, T0);
    const before = store.stats().records;
    const parts = async () => (await s.query<{ n: string }>("SELECT relname AS n FROM pg_class WHERE relkind = 'r' AND relname LIKE 'log_records_2%' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = $1) ORDER BY 1", [s.schema])).map((r) => r.n);
    assert.deepEqual(await parts(), ['log_records_20260101', 'log_records_20260102']);
    // two days later the first day is past the one-day limit: its partition goes whole
    const r = store.retain(T0 + 2 * DAY);
    assert.deepEqual(await parts(), ['log_records_20260102']);
    assert.equal(r.age, 9, "the first day's nine records");
    assert.equal(store.stats().records, before - 9);
    assert.deepEqual(store.trace(traceOf(2), 10).map((e) => e.msg), ['next day']);
  });

  it('reports a failed query with its SQLSTATE and keeps working after it', () => {
    const pg = new SyncPg({ url: s.url, schema: s.schema });
    try {
      assert.throws(() => pg.query('SELECT * FROM no_such_table'), (err: unknown) => err instanceof PgQueryError && err.sqlState === '42P01');
      assert.throws(() => pg.transaction(() => (pg.query('INSERT INTO node_epochs VALUES ($1, $2)', ['tx', 1]), pg.query('SELECT 1/0'))));
      assert.deepEqual(pg.query('SELECT count(*) AS n FROM node_epochs WHERE node = $1', ['tx']).rows, [{ n: 0 }], 'the failed transaction was rolled back');
    } finally {
      pg.close();
    }
  });

  it('fails fast with the address when PostgreSQL cannot be reached', () => {
    assert.throws(() => new PgDatabase({ url: 'postgres://postgres@127.0.0.1:1/test' }), /PostgreSQL: .*(ECONNREFUSED|connect)/);
  });
});
