// Issue 10: `edgewatch collector` with an empty config listened on 0.0.0.0 with no credentials. Listeners
// now default to loopback; a non-loopback API without credentials refuses to start; an open loopback API
// answers only to local Host names (DNS rebinding).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, it } from 'node:test';
import { loadCollectorConfig } from '../../collector/config.js';
import { startSecureCollector } from '../support/secure-collector.js';

/** A request to 127.0.0.1:port that names another Host, as a browser on a rebound DNS name would. */
function withHost(port: number, host: string, method = 'GET', path = '/api/nodes', body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers: { host, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('API listeners', () => {
  it('every listener defaults to 127.0.0.1', () => {
    const c = loadCollectorConfig('');
    assert.deepEqual([c.http.listen.host, c.forward.listen.host, c.mqtt.embedded?.listen.host], ['127.0.0.1', '127.0.0.1', '127.0.0.1']);
  });

  it('an API on 0.0.0.0 without credentials refuses to start, naming the key and the ways out', async () => {
    await assert.rejects(startSecureCollector(['http: {listen: "0.0.0.0:0"}'], { tokens: false }), (err: Error) => {
      assert.match(err.message, /^http\.listen: the API on 0\.0\.0\.0:0 is reachable from other machines and no credentials exist/);
      assert.match(err.message, /edgewatch token create --config FILE --name admin --role admin/);
      assert.match(err.message, /or listen on 127\.0\.0\.1/);
      return true;
    });
  });

  it('an API on 0.0.0.0 with a token starts, and requires it', async () => {
    const c = await startSecureCollector(['http: {listen: "0.0.0.0:0"}']);
    try {
      assert.equal((await c.call('/api/nodes')).status, 401);
      assert.equal((await c.call('/api/nodes', { token: c.tokens.viewer })).status, 200);
    } finally {
      await c.stop();
    }
  });

  it('an open loopback API (no credentials) answers only to localhost names: a rebound DNS name is refused', async () => {
    const c = await startSecureCollector([], { tokens: false });
    try {
      const port = c.collector.httpPort;
      assert.equal(await withHost(port, `127.0.0.1:${port}`), 200);
      assert.equal(await withHost(port, `localhost:${port}`), 200);
      assert.equal(await withHost(port, `attacker.example:${port}`), 403);
      assert.equal(await withHost(port, `127.0.0.1.attacker.example:${port}`), 403);
      assert.equal(await withHost(port, 'evil.example', 'POST', '/api/commands', JSON.stringify({ node: 'edge-1', task: 'web', type: 'restart', wait: false })), 403);
      const audit = await c.call<{ entries: unknown[] }>('/api/audit?action=command');
      assert.deepEqual(audit.body.entries, [], 'no command was issued');
    } finally {
      await c.stop();
    }
  });
});
