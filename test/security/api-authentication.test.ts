// Issue 10: an unauthenticated POST /api/commands ran `sh -c ...` as root on an edge node; GET /api/nodes
// handed out every task's env. Every /api route now needs a credential once any exists.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleValue, parseExposition } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';

describe('API authentication', () => {
  let c: SecureCollector;
  before(async () => {
    c = await startSecureCollector(['http: {listen: "127.0.0.1:0", limits: {loginFailuresBurst: 10, loginFailuresPerMinute: 1}}']);
  });
  after(async () => c?.stop());
  const failures = async (reason: string) => sampleValue(parseExposition(await c.collector.registry.metrics()), 'edgewatch_collector_api_auth_failures_total', { reason });

  it('refuses every /api route without credentials (401 naming what to send), and runs nothing', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/nodes'],
      ['GET', '/api/incidents'],
      ['GET', '/api/logs'],
      ['GET', '/api/audit'],
      ['POST', '/api/commands', { node: 'edge-1', type: 'apply', spec: { name: 'x', command: ['sh', '-c', 'id > pwned.txt'] } }],
      ['PUT', '/api/specs/edge-1/x', { command: ['sh', '-c', 'id'] }],
    ] as const) {
      const r = await c.call(path, { method, ...(body ? { body } : {}) });
      assert.equal(r.status, 401, `${method} ${path}`);
      assert.match(r.body.message!, /^credentials required: Authorization: Bearer <token>/);
      assert.match(r.headers.get('www-authenticate') ?? '', /Bearer/);
    }
    assert.equal(c.collector.dispatcher.get('x'), undefined);
    assert.equal((await c.call<{ specs: unknown[] }>('/api/specs', { token: c.tokens.viewer })).body.specs.length, 0, 'no spec was recorded');
    assert.equal(await failures('missing'), 6);
  });

  it('refuses a wrong, a malformed and an expired token, saying which', async () => {
    const wrong = c.tokens.admin.slice(0, -4) + 'AAAA';
    assert.deepEqual([(await c.call('/api/nodes', { token: wrong })).body.message], ['the bearer token is not valid']);
    assert.equal((await c.call('/api/nodes', { token: 'hunter2' })).status, 401);
    const expired = await c.call('/api/nodes', { token: c.tokens.expired });
    assert.deepEqual([expired.status, expired.body.message], [401, 'the bearer token has expired: create a new one (edgewatch token create)']);
    assert.equal((await c.call('/api/nodes', { token: c.tokens.viewer })).status, 200);
  });

  it('records every failed login in the audit log, with the address it came from', async () => {
    const res = await c.call<{ entries: Array<{ action: string; who: string; outcome: string; target?: string }> }>('/api/audit?action=login.failed&limit=100', { token: c.tokens.admin });
    assert.equal(res.status, 200, res.text);
    const entries = res.body.entries;
    assert.ok(entries.length >= 9);
    assert.ok(entries.every((e) => e.who === '127.0.0.1' || e.who === '::ffff:127.0.0.1'));
    assert.ok(entries.some((e) => e.outcome === 'expired_token' && e.target === 'GET /nodes'));
  });

  it('rate-limits guessing per client: after the burst of failures even the right token gets 429 until it refills', async () => {
    // earlier tests spent 9 of this client's burst of 10; one failure a minute refills it
    const guess = () => c.call('/api/nodes', { token: 'ewt_0000000000000000_' + 'A'.repeat(43) });
    assert.equal((await guess()).status, 401, 'the tenth failure is still answered');
    const r = await guess();
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    const right = await c.call('/api/nodes', { token: c.tokens.admin });
    assert.equal(right.status, 429, 'a guesser cannot tell the right token by the answer');
    assert.ok(((await failures('rate_limited')) ?? 0) >= 2);
  });
});
