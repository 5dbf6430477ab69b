// Issue 10: malformed input on any route gets a 4xx naming the problem, never a 500 or a crash: broken or
// null JSON, compressed or oversized bodies, bad percent-encoding in path ids, 5,000-deep nesting, times
// out of range.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';

describe('API refusals of malformed input', () => {
  let c: SecureCollector;
  before(async () => {
    c = await startSecureCollector();
  });
  after(async () => c?.stop());

  const bodyRoutes = [
    ['POST', '/api/commands'],
    ['PUT', '/api/specs/edge-1/web'],
    ['POST', '/api/alertmanager'],
  ] as const;

  it('broken JSON, JSON null, an array and 5,000-deep nesting are 400s naming the problem, on every body route', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"node": "edge-1", type: ', /^body is not JSON: /],
      ['null', /^body must be a JSON object, got null$/],
      ['[1, 2]', /^body must be a JSON object, got an array$/],
      ['{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}', /^JSON nested deeper than 32 levels$/],
    ];
    for (const [method, path] of bodyRoutes) {
      for (const [body, message] of cases) {
        const r = await c.call(path, { method, token: c.tokens.admin, body });
        assert.equal(r.status, 400, `${method} ${path} ${body.slice(0, 20)}: ${r.text}`);
        assert.match(r.body.message!, message);
      }
    }
  });

  it('a compressed body or one that is not JSON is a 415; a body over the cap is a 413, not a 500', async () => {
    for (const [method, path] of bodyRoutes) {
      const gz = await c.call(path, { method, token: c.tokens.admin, body: '{}', headers: { 'content-encoding': 'gzip' } });
      assert.equal(gz.status, 415, `${path} gzip`);
      assert.match(gz.body.message!, /content-encoding "gzip" is not accepted/);
      const text = await c.call(path, { method, token: c.tokens.admin, body: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(text.status, 415, `${path} form`);
      const big = await c.call(path, { method, token: c.tokens.admin, body: JSON.stringify({ pad: 'x'.repeat(5 * 1024 * 1024) }) });
      assert.equal(big.status, 413, `${path} 5 MiB`);
      assert.match(big.body.message!, /^body larger than \d+ bytes$/);
    }
  });

  it('a streamed body that grows past the cap without a content-length is cut off with a 413', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${c.base}/api/commands`, { method: 'POST', headers: { authorization: `Bearer ${c.tokens.admin}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    assert.equal(status, 413);
  });

  it('bad percent-encoding in a path id is a 400, not a 500', async () => {
    for (const path of ['/api/incidents/%E0%A4%A', '/api/commands/%zz', '/api/traces/%E0%A4%A']) {
      const r = await c.call(path, { token: c.tokens.viewer });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.body.message!, /percent-encoding|trace id/);
    }
  });

  it('times out of range are refused: since=-5, a year before 1970, a year past 9999', async () => {
    for (const q of ['since=-5', 'since=-271821-04-20', 'until=275760-09-13', 'since=99999999999999999']) {
      const r = await c.call(`/api/logs?${q}`, { token: c.tokens.viewer });
      assert.equal(r.status, 400, `${q}: ${r.text}`);
      assert.match(r.body.message!, /must be epoch milliseconds, an RFC 3339 time \(1970 to 9999\)/);
    }
    assert.equal((await c.call('/api/audit?since=-5', { token: c.tokens.admin })).status, 400);
    assert.equal((await c.call('/api/logs?since=2026-01-01T00:00:00Z', { token: c.tokens.viewer })).status, 200);
  });

  it('every list is bounded: a page past the cap or an unknown parameter is a 400 naming it', async () => {
    for (const path of ['/api/nodes?limit=100000', '/api/specs?limit=100000', '/api/incidents?limit=100000', '/api/logs?limit=100000', '/api/audit?limit=100000', '/api/specs?after=nocursor']) {
      const r = await c.call(path, { token: c.tokens.admin });
      assert.equal(r.status, 400, `${path}: ${r.text}`);
      assert.match(r.body.message!, /limit|after/);
    }
    assert.equal((await c.call('/api/specs?limit=10', { token: c.tokens.viewer })).status, 200);
  });

  it('the collector is still serving after all of it', async () => {
    assert.equal((await c.call('/api/nodes', { token: c.tokens.viewer })).status, 200);
    assert.equal((await fetch(`${c.base}/healthz`)).status, 200);
  });
});
