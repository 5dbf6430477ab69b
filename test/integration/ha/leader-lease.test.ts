// Leader election by a lease row in the real PostgreSQL: one leader, epochs that only grow, expiry by the
// database clock, and a paused leader that steps down on waking before it can act.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LeaderLease, type LeaseOptions } from '../../../collector/cluster/leader-lease.js';
import { migrate } from '../../../collector/store/pg/migrations.js';
import { SyncPg } from '../../../collector/store/pg/sync-pg.js';
import { systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { requirePostgres, testSchema, type TestSchema } from '../../support/postgres.js';
import { eventually } from '../../support/wait.js';

const { skip } = await requirePostgres();

describe('leader lease in PostgreSQL', { skip }, () => {
  let s: TestSchema;
  const leases: LeaderLease[] = [];
  before(async () => {
    s = await testSchema();
    const pg = new SyncPg({ url: s.url, schema: s.schema });
    migrate(pg, s.schema);
    pg.close();
  });
  after(async () => {
    for (const l of leases) await l.stop();
    await s?.drop();
  });

  /** A replica; `offsetMs` moves its monotonic clock (a pause the process did not see pass). */
  function replica(name: string, over: Partial<LeaseOptions> = {}) {
    const events: string[] = [];
    let offsetMs = 0;
    const lease = new LeaderLease(
      { url: s.url, schema: s.schema, replica: name, holder: `${name}/${Math.random().toString(16).slice(2)}`, address: () => `http://${name}`, durationMs: 1500, renewMs: 300, ...over },
      { clock: systemClock, monotonic: () => performance.now() + offsetMs, logger: silentLogger },
    );
    lease.on({ elected: (e) => events.push(`elected ${e}`), deposed: (why) => events.push(`deposed: ${why}`) });
    leases.push(lease);
    return { lease, events, pause: (ms: number) => (offsetMs += ms) };
  }

  it('elects one leader, hands over with a higher epoch when it stops, and a paused leader steps down on waking', async () => {
    const a = replica('a');
    const b = replica('b');
    await a.lease.start();
    await b.lease.start();
    assert.equal(a.lease.isLeader(), true);
    assert.equal(b.lease.isLeader(), false);
    const first = a.lease.epoch();
    assert.ok(first >= 1);
    assert.equal(b.lease.leader()?.replica, 'a', 'a standby knows who leads');
    assert.equal(b.lease.leader()?.address, 'http://a');

    // a stops: it gives the lease up and b takes it within one renew period, with the next epoch
    await a.lease.stop();
    await eventually('b to lead', () => b.lease.isLeader(), { timeoutMs: 3000 });
    assert.equal(b.lease.epoch(), first + 1);
    assert.deepEqual(a.events, [`elected ${first}`, 'deposed: stopping']);

    // c joins; b "pauses" past its lease: on waking it no longer leads, before any renewal has run
    const c = replica('c');
    await c.lease.start();
    assert.equal(c.lease.isLeader(), false);
    b.pause(2000);
    assert.equal(b.lease.isLeader(), false, 'the paused leader knows at once that its lease may have lapsed');
    assert.equal(b.lease.epoch(), 0);
    assert.match(b.events.at(-1)!, /deposed: the lease was not renewed in time/);
  });

  it('a standby takes an expired lease by the database clock, and exactly one of several does', async () => {
    const schema2 = await testSchema();
    const pg = new SyncPg({ url: schema2.url, schema: schema2.schema });
    try {
      migrate(pg, schema2.schema);
      // a leader that died without giving the lease up (renewed 10 s ago by the database clock, 2 s lease)
      pg.query("INSERT INTO leader_lease VALUES ('collector', 'dead/1', 'dead', NULL, 41, now() - interval '10 seconds', now() - interval '10 seconds', 2000)");
      const racers = ['x', 'y', 'z'].map((n) => replica(n, { schema: schema2.schema }));
      await Promise.all(racers.map((r) => r.lease.start()));
      const leaders = racers.filter((r) => r.lease.isLeader());
      assert.equal(leaders.length, 1, 'one winner');
      assert.equal(leaders[0]!.lease.epoch(), 42, 'the epoch grows by one on a change of holder');
      for (const r of racers) await r.lease.stop();
    } finally {
      pg.close();
      await schema2.drop();
    }
  });
});
