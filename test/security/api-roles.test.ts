// Issue 10: roles by verb. A viewer reads, an operator restarts, only an admin applies or releases, and the
// alertmanager role may only post alerts; a refusal names the role needed and nothing is sent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';

describe('API roles', () => {
  let c: SecureCollector;
  before(async () => {
    c = await startSecureCollector();
  });
  after(async () => c?.stop());
  const command = (token: string, type: string, extra: Record<string, unknown> = {}) => c.call('/api/commands', { token, body: { node: 'edge-1', task: 'web', type, wait: false, ...extra } });

  it('a viewer reads but cannot send a command (403: role operator needed for restart)', async () => {
    for (const path of ['/api/nodes', '/api/incidents', '/api/logs', '/api/specs', '/api/']) assert.equal((await c.call(path, { token: c.tokens.viewer })).status, 200, path);
    const r = await command(c.tokens.viewer, 'restart');
    assert.deepEqual([r.status, r.body.message], [403, 'role operator needed for POST /api/commands (dashboard has viewer)']);
    assert.equal((await c.call('/api/audit', { token: c.tokens.viewer })).status, 403);
  });

  it('an operator restarts, but apply and release need an admin; nothing is signed for a refused one', async () => {
    const ok = await command(c.tokens.operator, 'restart');
    assert.equal(ok.status, 202);
    assert.equal(ok.body.requestedBy, 'oncall', 'the command says who asked');
    const apply = await command(c.tokens.operator, 'apply', { spec: { name: 'web', command: ['sh', '-c', 'id > pwned.txt'] } });
    assert.deepEqual([apply.status, apply.body.message], [403, 'role admin needed for apply (oncall has operator)']);
    const release = await command(c.tokens.operator, 'release');
    assert.equal(release.status, 403);
    assert.equal((await c.call('/api/specs/edge-1/web', { method: 'PUT', token: c.tokens.operator, body: { command: ['x'] } })).status, 403);
    const { entries } = (await c.call<{ entries: Array<{ action: string; who: string; outcome: string }> }>('/api/audit?who=oncall', { token: c.tokens.admin })).body;
    assert.deepEqual(entries.map((e) => [e.action, e.outcome]).sort(), [['command.apply', 'forbidden'], ['command.release', 'forbidden'], ['command.restart', 'issued']].sort());
  });

  it('an admin may apply; the apply is audited with who asked', async () => {
    const r = await command(c.tokens.admin, 'apply', { spec: { name: 'web', command: ['node', 'web.js'] } });
    assert.equal(r.status, 202);
    assert.equal(r.body.requestedBy, 'admin');
  });

  it('the alertmanager role posts alerts and nothing else; other roles below admin cannot post alerts', async () => {
    const body = { version: '4', status: 'firing', receiver: 'r', groupKey: 'g', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', truncatedAlerts: 0, alerts: [] };
    assert.equal((await c.call('/api/alertmanager', { token: c.tokens.alertmanager, body })).status, 200);
    assert.equal((await c.call('/api/nodes', { token: c.tokens.alertmanager })).status, 403);
    assert.equal((await command(c.tokens.alertmanager, 'restart')).status, 403);
    const viewer = await c.call('/api/alertmanager', { token: c.tokens.viewer, body });
    assert.deepEqual([viewer.status, viewer.body.message], [403, 'role alertmanager needed for POST /api/alertmanager (dashboard has viewer)']);
    assert.equal((await c.call('/api/alertmanager', { token: c.tokens.operator, body })).status, 403);
  });
});
