import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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

describe('collector config', () => {
  it('an empty file gives the documented single-machine defaults', () => {
    const c = loadCollectorConfig('');
    assert.deepEqual(c.http.listen, { host: '0.0.0.0', port: 8080 });
    assert.deepEqual(c.forward.listen, { host: '0.0.0.0', port: 24224 });
    assert.equal(c.store.path, './data/collector.db');
    assert.deepEqual(c.mqtt.embedded, { listen: { host: '0.0.0.0', port: 1883 } });
    assert.equal(c.forward.sharedKey, undefined);
    assert.equal(c.forward.limits.maxFrameBytes, 16 * 1024 * 1024);
    assert.equal(c.store.retention.maxAgeHours, 168);
    assert.deepEqual(c.notify.webhooks, []);
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
  ];
  for (const [file, message] of cases) {
    it(`${file} is refused with a message naming the key and the fix`, () => {
      const issues = issuesOf(file);
      assert.ok(issues.some((i) => message.test(i)), `issues were:\n  ${issues.join('\n  ')}`);
    });
  }

  it('names the file when it cannot be read', () => {
    assert.throws(() => loadCollectorConfigFile('/nonexistent/collector.yaml'), /\/nonexistent\/collector\.yaml: invalid configuration\n {2}cannot read the file/);
  });
});
