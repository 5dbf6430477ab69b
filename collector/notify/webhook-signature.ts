import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256>` when the webhook has a secret. */
export const SIGNATURE_HEADER = 'X-Edgewatch-Signature';

/** Header carrying the delivery's idempotency key (the same on every retry and re-send). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/** How far a signature's timestamp may be from the receiver's clock, in seconds (Slack and Stripe use 5 minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Why a signature was refused: a closed set, safe as a metric label. */
export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'mismatch';

function hmacHex(secret: string, timestamp: string, rawBody: string | Buffer): string {
  // Signed as `timestamp + "." + raw body`, so a captured body cannot be replayed with a fresh timestamp.
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** The signature header value for a body sent at `nowMs`. */
export function signatureHeader(secret: string, rawBody: string | Buffer, nowMs: number): string {
  const t = String(Math.floor(nowMs / 1000));
  return `t=${t},v1=${hmacHex(secret, t, rawBody)}`;
}

/**
 * Checks a signature header against the raw body before anything parses it: the timestamp must be within
 * `toleranceSeconds` of `nowMs` and one `v1` must match (several are allowed while a secret is rotated;
 * so are several secrets). Comparison is constant-time.
 */
export function verifySignature(
  secret: string | readonly string[],
  header: string | undefined,
  rawBody: string | Buffer,
  nowMs: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): { ok: true } | { ok: false; reason: SignatureFailure } {
  if (!header) return { ok: false, reason: 'missing' };
  let t: string | undefined;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (t === undefined || !/^\d{1,12}$/.test(t) || candidates.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowMs / 1000 - Number(t)) > toleranceSeconds) return { ok: false, reason: 'expired' };
  let match = false;
  for (const s of typeof secret === 'string' ? [secret] : secret) {
    const expected = Buffer.from(hmacHex(s, t, rawBody), 'hex');
    // No early exit: every candidate is compared, so timing does not tell which one came close.
    for (const c of candidates) match = timingSafeEqual(expected, c) || match;
  }
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}
