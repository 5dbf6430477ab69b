import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandEpoch, NODE_EPOCH_SPAN, splitEpoch } from '../../../collector/cluster/fencing.js';
import { loadCollectorConfig, loadCollectorConfigFile } from '../../../collector/config.js';
import { ConfigError } from '../../../common/errors.js';
import { fixture } from '../../support/paths.js';

function issuesOf(file: string): string[] {
  try {
    loadCollectorConfigFile(fixture(`collector/${file}`));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail(`${file} was accepted`);
}

describe('collector config: PostgreSQL and the cluster', () => {
  it('defaults: SQLite, and a 10 s lease renewed every 2 s under the host name', () => {
    const c = loadCollectorConfig('');
    assert.equal(c.store.url, undefined);
    assert.equal(c.cluster.leaseSeconds, 10);
    assert.equal(c.cluster.renewSeconds, 2);
    assert.match(c.cluster.replica, /^[A-Za-z0-9][A-Za-z0-9._-]*$/);
    const pg = loadCollectorConfig('store: {url: "postgres://ew@db:5432/ew", schema: ew_prod}\ncluster: {replica: collector-a}');
    assert.equal(pg.store.url, 'postgres://ew@db:5432/ew');
    assert.equal(pg.cluster.replica, 'collector-a');
  });

  it('refuses a renew period longer than half the lease', () => {
    assert.deepEqual(issuesOf('bad-cluster-renew.yaml'), ['cluster.renewSeconds: renewSeconds must be at most half of leaseSeconds (a leader needs two tries before its lease runs out)']);
  });

  it('refuses a store URL that is not PostgreSQL, and a schema that is not a plain identifier', () => {
    const issues = issuesOf('bad-store-url.yaml');
    assert.equal(issues.length, 2);
    assert.match(issues[0]!, /^store\.url: must be a PostgreSQL URL/);
    assert.match(issues[1]!, /^store\.schema: must be a lowercase SQL identifier/);
  });
});

describe('command epochs with a lease', () => {
  it('a later leader outranks every command of an earlier one; a raised node epoch outranks the same leader\'s older ones', () => {
    assert.ok(commandEpoch(2, 1) > commandEpoch(1, NODE_EPOCH_SPAN - 1));
    assert.ok(commandEpoch(5, 3) > commandEpoch(5, 2));
    assert.deepEqual(splitEpoch(commandEpoch(7, 9)), { leader: 7, node: 9 });
    assert.equal(commandEpoch(0, 4), 4, 'without a lease the epoch is the node\'s alone');
  });
});
