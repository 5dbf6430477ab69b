import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signatureHeader, verifySignature } from '../../../../collector/notify/webhook-signature.js';

const SECRET = 'a-webhook-secret-of-32-characters';
const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const BODY = '{"version":"4","alerts":[]}';

describe('webhook signatures', () => {
  it('signs timestamp + "." + raw body with HMAC-SHA256, as a receiver can recompute with node:crypto alone', () => {
    const header = signatureHeader(SECRET, BODY, NOW + 999);
    const t = Math.floor(NOW / 1000);
    assert.equal(header, `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${BODY}`).digest('hex')}`);
  });

  it('accepts a fresh signature over the exact bytes, string or Buffer', () => {
    const header = signatureHeader(SECRET, BODY, NOW);
    assert.deepEqual(verifySignature(SECRET, header, BODY, NOW), { ok: true });
    assert.deepEqual(verifySignature(SECRET, header, Buffer.from(BODY), NOW + 299_000), { ok: true });
  });

  const cases: Array<[string, string | undefined, string, number, string]> = [
    ['no header', undefined, BODY, NOW, 'missing'],
    ['an empty header', '', BODY, NOW, 'missing'],
    ['no v1', `t=${NOW / 1000}`, BODY, NOW, 'malformed'],
    ['a short v1', `t=${NOW / 1000},v1=abcd`, BODY, NOW, 'malformed'],
    ['no timestamp', `v1=${'0'.repeat(64)}`, BODY, NOW, 'malformed'],
    ['a body changed by one byte', signatureHeader(SECRET, BODY, NOW), BODY.replace('4', '5'), NOW, 'mismatch'],
    ['another secret', signatureHeader('another-secret-of-some-length', BODY, NOW), BODY, NOW, 'mismatch'],
    ['a timestamp over 5 minutes old', signatureHeader(SECRET, BODY, NOW - 301_000), BODY, NOW, 'expired'],
    ['a timestamp over 5 minutes ahead', signatureHeader(SECRET, BODY, NOW + 301_000), BODY, NOW, 'expired'],
  ];
  for (const [what, header, body, now, reason] of cases) {
    it(`refuses ${what} (${reason})`, () => {
      assert.deepEqual(verifySignature(SECRET, header, body, now), { ok: false, reason });
    });
  }

  it('a replayed body with a fresh timestamp but the old v1 does not verify', () => {
    const old = signatureHeader(SECRET, BODY, NOW - 3600_000);
    const replay = old.replace(/^t=\d+/, `t=${NOW / 1000}`);
    assert.deepEqual(verifySignature(SECRET, replay, BODY, NOW), { ok: false, reason: 'mismatch' });
  });

  it('supports rotation: several v1 values in the header, or several secrets on the receiver', () => {
    const next = 'the-next-secret-of-some-length';
    const v1 = (secret: string) => signatureHeader(secret, BODY, NOW).split(',')[1]!;
    assert.deepEqual(verifySignature(next, `t=${NOW / 1000},${v1(SECRET)},${v1(next)}`, BODY, NOW), { ok: true });
    assert.deepEqual(verifySignature([SECRET, next], signatureHeader(SECRET, BODY, NOW), BODY, NOW), { ok: true });
  });

  it('honours a custom tolerance', () => {
    const header = signatureHeader(SECRET, BODY, NOW - 61_000);
    assert.deepEqual(verifySignature(SECRET, header, BODY, NOW, 60), { ok: false, reason: 'expired' });
  });
});
