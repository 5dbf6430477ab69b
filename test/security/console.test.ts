// Issue 16: every input the console adds. Pages without a session, the sign-in form (bad, foreign,
// cross-site, oversized, open redirects), session cookies (forged, revoked, signed out), commands through a
// console session (a viewer, a missing or wrong CSRF token, another origin), and hostile text in log lines
// and incident annotations, which every page must show as text.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TokenStore } from '../../collector/auth/token-store.js';
import { StateDb } from '../../collector/state/state-db.js';
import { systemClock } from '../../common/clock.js';
import { launchChromium, requireChromium, signedIn } from '../support/browser.js';
import { emit, endSender, sender } from '../support/collector-harness.js';
import { addNode } from '../support/node-identity.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { tempDir } from '../support/paths.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

const SCRIPT = '<script>window.__xss=1</script>';
const IMG = '"><img src=x onerror="window.__xss=2">';
const TRACE = 'c0ffee00c0ffee00c0ffee00c0ffee01';
const RULES = `rules:
  - name: hostile-alert
    kind: alert
    by: [node, task]
    match: {alertname: HostileAlert}
    action: none
    severity: warning
`;

/** A browser-like client of the console: a cookie jar of one session and its CSRF token. */
interface Session {
  cookie: string;
  csrf: string;
}

describe('console inputs', () => {
  const tmp = tempDir('edgewatch-console-sec-');
  let c: SecureCollector;
  let node: ReturnType<typeof addNode>;
  const edgeSender = () => sender('edgewatch.edge-1', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, security: { clientHostname: 'edge-1', sharedKey: node.sharedKey, username: 'edge-1', password: node.password } });
  const page = (path: string, o: { cookie?: string; headers?: Record<string, string> } = {}) =>
    fetch(c.base + path, { redirect: 'manual', headers: { ...(o.cookie ? { cookie: o.cookie } : {}), ...o.headers } });
  const signin = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${c.base}/signin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
  const session = async (token: string): Promise<Session> => {
    const res = await signin({ token });
    assert.equal(res.status, 303, await res.text());
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const html = await (await page('/nodes', { cookie })).text();
    return { cookie, csrf: /name="edgewatch-csrf" content="([^"]+)"/.exec(html)![1]! };
  };
  const command = (s: Session, headers: Record<string, string>, body: Record<string, unknown> = { node: 'edge-1', task: 'web', type: 'restart', wait: false }) =>
    fetch(`${c.base}/api/commands`, { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  before(async () => {
    writeFileSync(join(tmp.dir, 'rules.yml'), RULES);
    c = await startSecureCollector([`rules: {file: ${JSON.stringify(join(tmp.dir, 'rules.yml'))}}`, 'http: {listen: "127.0.0.1:0", limits: {loginFailuresPerMinute: 600, loginFailuresBurst: 200}}']);
    // hostile log lines from a logged-in node, then a hostile alert that opens an incident with them as evidence
    node = addNode(c.config, 'edge-1');
    const s = edgeSender();
    for (const msg of [SCRIPT, IMG, '</pre></details></li>' + SCRIPT]) await emit(s, 'web', { level: 'error', msg, trace_id: TRACE, status: 503, attrs: { note: SCRIPT } });
    endSender(s);
    const alert = { status: 'firing', labels: { alertname: 'HostileAlert', node: 'edge-1', task: 'web', team: SCRIPT }, annotations: { summary: SCRIPT, description: IMG, trace_id: TRACE }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prometheus/graph', fingerprint: '00000000000000aa' };
    const r = await c.call('/api/alertmanager', { token: c.tokens.alertmanager, body: { version: '4', status: 'firing', receiver: 'r', groupKey: 'g', truncatedAlerts: 0, groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts: [alert] } });
    assert.equal(r.status, 200, r.text);
  });
  after(async () => {
    await c?.stop();
    tmp.cleanup();
  });

  it('every page without a session sends the browser to sign in, keeping only a local path to return to', async () => {
    for (const path of ['/', '/incidents', '/incidents/x', `/traces/${TRACE}`, '/nodes', '/nodes/edge-1/tasks/web']) {
      const res = await page(path);
      assert.equal(res.status, 303, path);
      assert.match(res.headers.get('location')!, /^\/signin(\?next=%2F|$)/, path);
    }
    const form = await (await page('/signin?next=//evil.example/x')).text();
    assert.match(form, /name="next" value="\/"/, 'a protocol-relative next is dropped');
  });

  it('sign-in refuses wrong, malformed, alertmanager and oversized tokens, cross-site posts, and other body types', async () => {
    const wrong = await signin({ token: 'ewt_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(wrong.status, 401);
    assert.match(await wrong.text(), /the bearer token is not valid/);
    assert.equal(wrong.headers.get('set-cookie'), null);
    assert.equal((await signin({ token: 'not a token' })).status, 400);
    assert.equal((await signin({ token: 'x'.repeat(600) })).status, 400);
    const am = await signin({ token: c.tokens.alertmanager });
    assert.equal(am.status, 403);
    assert.equal(am.headers.get('set-cookie'), null);
    assert.equal((await signin({ token: c.tokens.expired })).status, 401);
    assert.equal((await signin({ token: c.tokens.admin }, { origin: 'http://evil.example' })).status, 403, 'a form on another site');
    assert.equal((await signin({ token: c.tokens.admin }, { origin: 'null' })).status, 403, 'an opaque origin');
    assert.equal((await signin({ token: c.tokens.admin }, { 'sec-fetch-site': 'cross-site' })).status, 403);
    const json = await fetch(`${c.base}/signin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: c.tokens.admin }) });
    assert.equal(json.status, 400);
    const big = await fetch(`${c.base}/signin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${c.tokens.admin}&pad=${'a'.repeat(20_000)}` });
    assert.equal(big.status, 400);
    const audit = await c.call<{ entries: Array<{ action: string; outcome: string }> }>('/api/audit?action=login.failed', { token: c.tokens.admin });
    assert.ok(audit.body.entries.some((e) => e.outcome === 'unknown_token'), 'failed console sign-ins are audited');
  });

  it('after sign-in the browser only goes to a local path: no open redirect', async () => {
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', '/%0d%0aSet-Cookie:x', ' /nodes', '/signin']) {
      const res = await signin({ token: c.tokens.viewer, next });
      assert.equal(res.status, 303);
      const location = res.headers.get('location')!;
      assert.ok(location === '/' || (location.startsWith('/') && !location.startsWith('//') && !location.includes('\\')), `${next} → ${location}`);
    }
    const ok = await signin({ token: c.tokens.viewer, next: '/nodes' });
    assert.equal(ok.headers.get('location'), '/nodes');
    const cookie = ok.headers.get('set-cookie')!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
    assert.match(cookie, /Path=\//);
  });

  it('a forged or unknown session cookie is no session', async () => {
    for (const cookie of ['edgewatch_session=' + 'A'.repeat(43), 'edgewatch_session=../../etc', `edgewatch_session=${'x'.repeat(5000)}`]) {
      assert.equal((await page('/nodes', { cookie })).status, 303);
      assert.equal((await fetch(`${c.base}/api/nodes`, { headers: { cookie } })).status, 401);
    }
  });

  it('a viewer posting a command through its console session is refused (403), and nothing is sent', async () => {
    const s = await session(c.tokens.viewer);
    const forbidden = async () => sampleValue(parseExposition(await c.collector.registry.metrics()), 'edgewatch_collector_api_refused_total', { reason: 'forbidden' }) ?? 0;
    const before = await forbidden();
    const res = await command(s, { 'x-edgewatch-csrf': s.csrf, origin: c.base, 'sec-fetch-site': 'same-origin' });
    assert.equal(res.status, 403);
    assert.match(((await res.json()) as { message: string }).message, /role operator needed for POST \/api\/commands \(dashboard has viewer\)/);
    assert.equal(await forbidden(), before + 1);
    const audit = await c.call<{ entries: Array<{ who: string }> }>('/api/audit?action=command.restart', { token: c.tokens.admin });
    assert.deepEqual(audit.body.entries.filter((e) => e.who === 'dashboard'), [], 'nothing was signed or sent');
    const html = await (await page('/nodes/edge-1/tasks/web', { cookie: s.cookie })).text();
    assert.doesNotMatch(html, /data-command=/, 'and sees no buttons');
  });

  it('an operator session writes only with its CSRF token, from this origin (CSRF)', async () => {
    const s = await session(c.tokens.operator);
    const other = await session(c.tokens.admin);
    const refused: Array<Record<string, string>> = [
      {},
      { 'x-edgewatch-csrf': 'wrong' },
      { 'x-edgewatch-csrf': other.csrf },
      { 'x-edgewatch-csrf': s.csrf, origin: 'http://evil.example' },
      { 'x-edgewatch-csrf': s.csrf, 'sec-fetch-site': 'cross-site' },
      { 'x-edgewatch-csrf': s.csrf, 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of refused) {
      const res = await command(s, headers);
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.match(((await res.json()) as { message: string }).message, /CSRF token/);
    }
    const ok = await command(s, { 'x-edgewatch-csrf': s.csrf, origin: c.base, 'sec-fetch-site': 'same-origin' });
    assert.equal(ok.status, 202, await ok.text());
    const read = await fetch(`${c.base}/api/nodes`, { headers: { cookie: s.cookie } });
    assert.equal(read.status, 200, 'reads need no CSRF token');
  });

  it('sign-out needs the CSRF token; a revoked token ends its sessions', async () => {
    const s = await session(c.tokens.operator);
    const out = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${c.base}/signout`, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    assert.equal((await out('csrf=wrong')).status, 403);
    assert.equal((await out(`csrf=${s.csrf}`, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await page('/nodes', { cookie: s.cookie })).status, 200, 'still signed in');
    const done = await out(`csrf=${s.csrf}`);
    assert.equal(done.status, 303);
    assert.match(done.headers.get('set-cookie')!, /Max-Age=0/);
    assert.equal((await page('/nodes', { cookie: s.cookie })).status, 303, 'the session is gone');

    const state = new StateDb(c.config.paths.state);
    const tokens = new TokenStore(state, systemClock);
    const temp = tokens.create('short-lived', 'operator').token;
    const t = await session(temp);
    tokens.revoke('short-lived');
    state.close();
    const res = await page('/nodes', { cookie: t.cookie });
    assert.equal(res.status, 303);
    assert.match(res.headers.get('location')!, /expired=1/);
  });

  it('log lines, labels and annotations holding markup are text on every page (XSS)', async () => {
    const s = await session(c.tokens.admin);
    const incident = await eventually('the hostile incident', async () => {
      const r = await c.call<{ incidents: Array<{ id: string; rule: string }> }>('/api/incidents', { token: c.tokens.viewer });
      return r.body.incidents.find((i) => i.rule === 'hostile-alert');
    });
    const pages = ['/incidents', `/incidents/${incident.id}`, `/traces/${TRACE}`, '/nodes', '/nodes/edge-1/tasks/web'];
    for (const path of pages) {
      const res = await page(path, { cookie: s.cookie });
      assert.equal(res.status, 200, path);
      const html = await res.text();
      assert.doesNotMatch(html, /<script>window\.__xss/, `${path}: a <script> from the data`);
      assert.doesNotMatch(html, /<img src=x/, `${path}: an <img> from the data`);
      assert.doesNotMatch(html, /<\/pre><\/details><\/li><script/, `${path}: markup closing the page's own`);
      assert.match(res.headers.get('content-security-policy')!, /script-src 'self'/);
      assert.match(res.headers.get('content-security-policy')!, /default-src 'none'/);
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
    }
    for (const path of [`/incidents/${incident.id}`, `/traces/${TRACE}`, '/nodes/edge-1/tasks/web']) {
      const html = await (await page(path, { cookie: s.cookie })).text();
      assert.ok(html.includes('&lt;script&gt;window.__xss=1&lt;/script&gt;'), `${path} shows the markup as text`);
    }
  });

  it('in a browser, hostile text stays text, including lines the live tail adds', { skip: requireChromium().skip }, async () => {
    const browser = await launchChromium();
    try {
      const { page: p } = await signedIn(browser, c.base, c.tokens.admin, { path: '/nodes/edge-1/tasks/web' });
      const s = edgeSender();
      await emit(s, 'web', { level: 'error', msg: `tailed ${IMG}${SCRIPT}`, trace_id: TRACE });
      endSender(s);
      await eventually('the tailed line', async () => (await p.locator('#tail li', { hasText: 'tailed' }).count()) === 1, { timeoutMs: 15_000, intervalMs: 250 });
      assert.equal(await p.evaluate('window.__xss ?? 0'), 0);
      assert.equal(await p.locator('#tail img').count(), 0);
      for (const path of [`/traces/${TRACE}`, '/incidents']) {
        await p.goto(path);
        assert.equal(await p.evaluate('window.__xss ?? 0'), 0, path);
      }
    } finally {
      await browser.close();
    }
  });
});
