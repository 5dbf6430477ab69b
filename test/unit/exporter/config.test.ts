import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../common/errors.js';
import { loadExporterConfig, loadExporterConfigFile, parseTaskSpec } from '../../../exporter/config.js';
import { repoRoot } from '../../support/paths.js';

const dir = join(repoRoot, 'test/fixtures/config/exporter');

describe('exporter config', () => {
  it('loads the good file with every default filled in', () => {
    const cfg = loadExporterConfigFile(join(dir, 'good.yaml'));
    assert.equal(cfg.node, 'edge-1');
    assert.deepEqual(cfg.http.listen, { host: '127.0.0.1', port: 0 });
    assert.deepEqual(cfg.forward?.address, { host: 'collector.example', port: 24224 });
    assert.equal(cfg.spool.maxBytes, 128 * 1024 * 1024);
    const [web, backup, sensor] = cfg.tasks;
    assert.equal(web!.restartPolicy, 'Always');
    assert.deepEqual(web!.env, { PORT: '8080', DEBUG: 'false' });
    assert.equal(web!.resources.limits.memory, 256 * 1024 * 1024);
    assert.deepEqual(
      { ...web!.livenessProbe, httpGet: web!.livenessProbe!.httpGet },
      { httpGet: { host: '127.0.0.1', port: 8080, path: '/healthz', scheme: 'HTTP' }, initialDelaySeconds: 0, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3 },
    );
    assert.deepEqual(web!.backoff, { initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 });
    assert.equal(backup!.restartPolicy, 'OnFailure', 'jobs default to OnFailure like Kubernetes Jobs');
    assert.equal(backup!.backoffLimit, 2);
    assert.equal(sensor!.logs.format, 'logfmt');
    assert.equal(sensor!.logs.fields.msg, 'text');
  });

  it('an empty file is a valid exporter with no tasks and the hostname as node', () => {
    const cfg = loadExporterConfig('', undefined, 'Edge.Host_1');
    assert.equal(cfg.node, 'edge-host_1');
    assert.deepEqual(cfg.tasks, []);
    assert.deepEqual(cfg.http.listen, { host: '127.0.0.1', port: 9464 });
    assert.equal(cfg.forward, undefined, 'no forward address: logs stay local');
  });

  const bad = readdirSync(dir).filter((f) => f.startsWith('bad-'));
  for (const file of bad) {
    it(`rejects ${file} naming the key and the fix`, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const expected = /^# expect: (.*)$/m.exec(text)![1]!;
      assert.throws(
        () => loadExporterConfig(text, file),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, 'a ConfigError');
          assert.ok(err.message.includes(expected), `"${err.message}" should contain "${expected}"`);
          assert.ok(!err.message.includes('    at '), 'no stack trace in the message');
          return true;
        },
      );
    });
  }

  it('validates a task spec arriving in a command', () => {
    const ok = parseTaskSpec({ name: 'web', version: '2', command: ['node', 'a.js'] });
    assert.equal(ok.ok && ok.spec.version, '2');
    const bad = parseTaskSpec({ name: 'web', command: 'node a.js' });
    assert.deepEqual(bad, { ok: false, error: 'command: must be an array, got string "node a.js"' });
  });
});
