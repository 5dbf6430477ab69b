import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** One signed-in browser: the credential it signed in with (checked again on every request) and its CSRF token. */
export interface ConsoleSession {
  /** The `Authorization` value the session stands for; it never leaves the collector. */
  authorization: string;
  /** Sent back by the console's scripts on every state-changing request (`X-Edgewatch-CSRF`). */
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/** How long sessions live and how many may exist. */
export interface SessionLimits {
  idleMs: number;
  maxAgeMs: number;
  maxSessions: number;
}

/** The session cookie: `__Host-` bound to this origin when served over TLS (RFC 6265bis, cookie prefixes). */
export function sessionCookieName(tls: boolean): string {
  return tls ? '__Host-edgewatch_session' : 'edgewatch_session';
}

/** The header the console's scripts send their CSRF token in. */
export const CSRF_HEADER = 'x-edgewatch-csrf';

const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
const digestOf = (id: string) => createHash('sha256').update(id).digest('hex');

/** Reads one cookie from a Cookie header; undefined when absent or repeated (a duplicate is not guessed at). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = part.slice(eq + 1).trim();
  }
  return found;
}

/** Whether two secrets are equal, in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Console sessions, in memory: a random 256-bit id in an HttpOnly cookie maps to the credential the user
 * signed in with. Only a digest of the id is kept. Sessions end on sign-out, after `idleMs` without a
 * request or `maxAgeMs` after sign-in, and when the collector restarts; the oldest goes when the cap is hit.
 */
export class ConsoleSessions {
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(private readonly limits: SessionLimits) {}

  /** Starts a session for a credential that just authenticated; returns the cookie value and the session. */
  create(authorization: string, now: number): { id: string; session: ConsoleSession } {
    this.expire(now);
    while (this.sessions.size >= this.limits.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = { authorization, csrf: randomBytes(32).toString('base64url'), createdAt: now, lastSeenAt: now };
    this.sessions.set(digestOf(id), session);
    return { id, session };
  }

  /** The live session of a cookie value (and marks it used), or undefined. */
  get(id: string | undefined, now: number): ConsoleSession | undefined {
    if (!id || !SESSION_ID.test(id)) return undefined;
    const key = digestOf(id);
    const s = this.sessions.get(key);
    if (!s) return undefined;
    if (now - s.lastSeenAt >= this.limits.idleMs || now - s.createdAt >= this.limits.maxAgeMs) {
      this.sessions.delete(key);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  /** Ends a session (sign-out, or its credential stopped working). */
  end(id: string | undefined): void {
    if (id && SESSION_ID.test(id)) this.sessions.delete(digestOf(id));
  }

  /** Sessions held now. */
  get size(): number {
    return this.sessions.size;
  }

  private expire(now: number): void {
    for (const [key, s] of this.sessions) {
      if (now - s.lastSeenAt >= this.limits.idleMs || now - s.createdAt >= this.limits.maxAgeMs) this.sessions.delete(key);
    }
  }
}
