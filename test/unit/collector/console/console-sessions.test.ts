import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConsoleSessions, readCookie, sameSecret, sessionCookieName } from '../../../../collector/console/console-sessions.js';

const limits = { idleMs: 60_000, maxAgeMs: 600_000, maxSessions: 3 };

describe('console sessions', () => {
  it('a session stands for its credential, with a CSRF token of its own; ids are 256-bit and never reused', () => {
    const s = new ConsoleSessions(limits);
    const a = s.create('Bearer a', 0);
    const b = s.create('Bearer b', 0);
    assert.match(a.id, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.id, b.id);
    assert.notEqual(a.session.csrf, b.session.csrf);
    assert.equal(s.get(a.id, 1000)?.authorization, 'Bearer a');
    assert.equal(s.get(b.id, 1000)?.authorization, 'Bearer b');
    assert.equal(s.get(`${a.id.slice(0, -1)}x`, 1000), undefined);
    assert.equal(s.get('../etc/passwd', 1000), undefined);
    assert.equal(s.get(undefined, 1000), undefined);
  });

  it('ends after the idle time, after the maximum age however busy, and on sign-out', () => {
    const s = new ConsoleSessions(limits);
    const idle = s.create('Bearer a', 0);
    assert.ok(s.get(idle.id, 59_999));
    assert.ok(s.get(idle.id, 119_000), 'each request keeps it alive');
    assert.equal(s.get(idle.id, 179_000), undefined, 'idle for 60 s');
    const busy = s.create('Bearer b', 0);
    for (let t = 50_000; t < 600_000; t += 50_000) assert.ok(s.get(busy.id, t), `at ${t}`);
    assert.equal(s.get(busy.id, 600_000), undefined, 'the maximum age');
    const out = s.create('Bearer c', 0);
    s.end(out.id);
    assert.equal(s.get(out.id, 1), undefined);
  });

  it('holds at most maxSessions: a new sign-in ends the oldest', () => {
    const s = new ConsoleSessions(limits);
    const ids = [1, 2, 3, 4].map((n) => s.create(`Bearer ${n}`, n).id);
    assert.equal(s.size, 3);
    assert.equal(s.get(ids[0], 10), undefined);
    assert.ok(s.get(ids[3], 10));
  });

  it('reads one cookie, refusing a name given twice; compares secrets in constant time', () => {
    assert.equal(readCookie('a=1; edgewatch_session=xyz; b=2', 'edgewatch_session'), 'xyz');
    assert.equal(readCookie('edgewatch_session=x; edgewatch_session=y', 'edgewatch_session'), undefined);
    assert.equal(readCookie('xedgewatch_session=1', 'edgewatch_session'), undefined);
    assert.equal(readCookie(undefined, 'edgewatch_session'), undefined);
    assert.equal(sessionCookieName(true), '__Host-edgewatch_session');
    assert.equal(sameSecret('abc', 'abc'), true);
    assert.equal(sameSecret('abc', 'abd'), false);
    assert.equal(sameSecret('abc', 'abcd'), false);
  });
});
