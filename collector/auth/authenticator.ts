import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { Clock } from '../../common/clock.js';
import type { KeyedRate } from '../../common/keyed-rate.js';
import type { Principal, Role } from './roles.js';
import type { TokenStore } from './token-store.js';

/** Why a request was not authenticated: a closed set (metric label, audit outcome). */
export const AUTH_FAILURES = ['missing', 'malformed', 'unknown_token', 'expired_token', 'bad_password', 'rate_limited'] as const;
export type AuthFailure = (typeof AUTH_FAILURES)[number];

export type AuthResult = { ok: true; principal: Principal } | { ok: false; failure: AuthFailure; message: string; retryAfterSeconds?: number };

/** Where credentials come from. */
export interface AuthenticatorDeps {
  tokens: TokenStore;
  /** Basic-auth users and their bcrypt hashes (the web config file). */
  basicUsers: ReadonlyMap<string, string>;
  /** Roles of basic-auth users (`http.basicAuthRoles`); a user not listed is a viewer. */
  basicRoles: Readonly<Record<string, Role>>;
  /** The static `alertmanager.bearerToken`, which may only post alerts. */
  alertmanagerToken?: string;
  /** Failed logins per client address. */
  failures: KeyedRate;
  clock: Clock;
}

const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', via: 'none' };
const sha256 = (s: string) => createHash('sha256').update(s).digest();

/**
 * Decides who a request is from its `Authorization` header: a bearer token (from the token store, or the
 * static Alertmanager token) or basic auth against bcrypt hashes. With no credentials configured at all
 * the API is open (the composition root allows that on loopback only). Failures are rate-limited per client.
 */
export class Authenticator {
  private readonly amDigest: Buffer | undefined;
  /** Successful bcrypt checks by user and password digest: bcrypt is slow by design, once per pair is enough. */
  private readonly verified = new Map<string, string>();
  private requiredCache = { at: -Infinity, value: false };

  constructor(private readonly deps: AuthenticatorDeps) {
    this.amDigest = deps.alertmanagerToken ? sha256(deps.alertmanagerToken) : undefined;
  }

  /** Whether any credential exists (tokens are read again at most once a second, so `token create` applies live). */
  required(): boolean {
    const now = this.deps.clock.now();
    if (now - this.requiredCache.at >= 1000) this.requiredCache = { at: now, value: this.deps.basicUsers.size > 0 || this.amDigest !== undefined || this.deps.tokens.any() };
    return this.requiredCache.value;
  }

  async authenticate(authorization: string | undefined, client: string): Promise<AuthResult> {
    if (!this.required()) return { ok: true, principal: ANONYMOUS };
    const now = this.deps.clock.now();
    const wait = this.deps.failures.waitSeconds(client, now);
    if (wait > 0) return { ok: false, failure: 'rate_limited', message: `too many failed logins from ${client}: try again in ${wait} s`, retryAfterSeconds: wait };
    const r = await this.check(authorization);
    if (!r.ok) this.deps.failures.take(client, now);
    return r;
  }

  private async check(authorization: string | undefined): Promise<AuthResult> {
    if (!authorization) return { ok: false, failure: 'missing', message: 'credentials required: Authorization: Bearer <token> (edgewatch token create) or basic auth' };
    const m = /^(Bearer|Basic)\s+(\S+)\s*$/i.exec(authorization);
    if (!m) return { ok: false, failure: 'malformed', message: 'Authorization must be "Bearer <token>" or "Basic <base64 user:password>"' };
    return m[1]!.toLowerCase() === 'bearer' ? this.bearer(m[2]!) : this.basic(m[2]!);
  }

  private bearer(token: string): AuthResult {
    if (this.amDigest && timingSafeEqual(sha256(token), this.amDigest)) return { ok: true, principal: { name: 'alertmanager', role: 'alertmanager', via: 'alertmanager-token' } };
    const r = this.deps.tokens.verify(token);
    if (r === 'expired') return { ok: false, failure: 'expired_token', message: 'the bearer token has expired: create a new one (edgewatch token create)' };
    if (typeof r === 'string') return { ok: false, failure: 'unknown_token', message: 'the bearer token is not valid' };
    return { ok: true, principal: { name: r.name, role: r.role, via: 'token' } };
  }

  private async basic(encoded: string): Promise<AuthResult> {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return { ok: false, failure: 'malformed', message: 'basic auth must carry "user:password"' };
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const hash = this.deps.basicUsers.get(user);
    const key = `${user}\u0000${sha256(password).toString('hex')}`;
    // an unknown user costs a bcrypt comparison too, so timing does not tell which users exist
    const ok = hash !== undefined && this.verified.get(key) === hash ? true : await bcrypt.compare(password, hash ?? dummyHash());
    if (!ok || hash === undefined) return { ok: false, failure: 'bad_password', message: 'wrong user name or password' };
    if (this.verified.size >= 1000) this.verified.clear();
    this.verified.set(key, hash);
    return { ok: true, principal: { name: user, role: this.deps.basicRoles[user] ?? 'viewer', via: 'basic' } };
  }
}

let dummy: string | undefined;
/** A bcrypt hash of nothing anyone knows (made once), compared against for unknown users. */
function dummyHash(): string {
  return (dummy ??= bcrypt.hashSync(randomBytes(16).toString('hex'), 10));
}
