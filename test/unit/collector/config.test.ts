import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCollectorConfig, loadCollectorConfigFile } from '../../../collector/config.js';
import { commandEpoch, NODE_EPOCH_SPAN, splitEpoch } from '../../../collector/cluster/fencing.js';
import { ConfigError } from '../../../common/errors.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, tempDir } from '../../support/paths.js';

function issuesOf(file: string): string[] {
  try {
    loadCollectorConfigFile(fixture(`collector/${file}`));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.issues;
  }
  assert.fail(`${file} was accepted`);
}

describe('collector config', () => {
  it('an empty file gives the documented single-machine defaults', () => {
    const c = loadCollectorConfig('');
    assert.deepEqual(c.http.listen, { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(c.forward.listen, { host: '127.0.0.1', port: 24224 });
    assert.equal(c.store.path, './data/collector.db');
    assert.deepEqual(c.mqtt.embedded, { listen: { host: '127.0.0.1', port: 1883 }, maxPacketBytes: 1024 * 1024 });
    assert.equal(c.forward.sharedKey, undefined);
    assert.equal(c.forward.limits.maxFrameBytes, 16 * 1024 * 1024);
    assert.equal(c.store.retention.maxAgeHours, 168);
    assert.deepEqual(c.notify.webhooks, []);
    assert.deepEqual(c.console, { enabled: true, sessionIdleMinutes: 120, sessionMaxHours: 12, maxSessions: 1000 }, 'the console is on, with no Grafana link');
  });

  it('accepts the full example with every key', () => {
    const c = loadCollectorConfigFile(fixture('collector/good.yaml'));
    assert.equal(c.forward.sharedKey, 'fleet-secret');
    assert.equal(c.forward.limits.maxFrameBytes, 8 * 1024 * 1024);
    assert.equal(c.store.retention.maxBytes, 2 * 1024 ** 3);
    assert.equal(c.mqtt.url, 'mqtt://broker.example:1883');
    assert.equal(c.mqtt.embedded, undefined, 'an external broker turns the embedded one off');
    assert.equal(c.notify.webhooks[0]?.url, 'http://receiver.example:9095/hook');
    assert.equal(c.commands.privateKeyFile, './keys/command.key');
    assert.equal(c.rules.file, 'alerts/collector-rules.yml');
    assert.equal(c.console.grafanaUrl, 'http://grafana.example:3000');
    assert.equal(c.console.sessionMaxHours, 8);
  });

  const cases: Array<[string, RegExp]> = [
    ['bad-listen.yaml', /^forward\.listen: must be "host:port"/],
    ['bad-unknown-key.yaml', /^store: unknown key "retension"/],
    ['bad-users-without-key.yaml', /^forward\.users: users need the shared_key handshake: set forward\.sharedKey/],
    ['bad-mqtt-both.yaml', /^mqtt: set mqtt\.url .* or mqtt\.embedded .*, not both/],
    ['bad-webhook-url.yaml', /^notify\.webhooks\[0\]\.url: must be an http:\/\/ or https:\/\/ URL/],
    ['bad-max-bytes.yaml', /^store\.retention\.maxBytes: must be a size like "256Mi"/],
    ['bad-frame-limit.yaml', /^forward\.limits\.maxConnections: must be >= 1/],
    ['bad-yaml.yaml', /^YAML syntax \(line 3\)/],
    ['bad-grafana-url.yaml', /^console\.grafanaUrl: must be Grafana's base URL, e\.g\. "http:\/\/grafana:3000"/],
  ];
  for (const [file, message] of cases) {
    it(`${file} is refused with a message naming the key and the fix`, () => {
      const issues = issuesOf(file);
      assert.ok(issues.some((i) => message.test(i)), `issues were:\n  ${issues.join('\n  ')}`);
    });
  }

  it('a binary file is refused naming the file, without echoing its bytes', () => {
    const tmp = tempDir();
    try {
      const file = join(tmp.dir, 'collector.yaml');
      writeFileSync(file, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x1b, 0x5b, 0x32, 0x4a, 0xff]));
      const err = (() => {
        try {
          loadCollectorConfigFile(file);
        } catch (e) {
          return e as Error;
        }
      })();
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, new RegExp(`^${file}: invalid configuration\n {2}not a text file \\(12 bytes of binary data\\)`));
      assert.doesNotMatch(err.message, /ELF|\x1b/, 'no raw bytes (an escape sequence would reach the terminal)');
    } finally {
      tmp.cleanup();
    }
  });

  it('a YAML alias bomb is refused as a config error naming the file, before it expands', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    assert.throws(() => loadCollectorConfig(lines.join('\n'), 'bomb.yaml'), (err: unknown) => err instanceof ConfigError && err.file === 'bomb.yaml' && /YAML: .*alias/i.test(err.issues.join(' ')));
  });

  it('names the file when it cannot be read', () => {
    assert.throws(() => loadCollectorConfigFile('/nonexistent/collector.yaml'), /\/nonexistent\/collector\.yaml: invalid configuration\n {2}cannot read the file/);
  });
});

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
