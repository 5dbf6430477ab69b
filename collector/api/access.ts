import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../common/logger.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthMetrics, Refusal } from '../auth/auth-metrics.js';
import type { AuthResult, Authenticator as AuthenticatorType } from '../auth/authenticator.js';
import { roleAllows, type Principal, type Role } from '../auth/roles.js';
import { CSRF_HEADER, readCookie, sameSecret, sessionCookieName, type ConsoleSession, type ConsoleSessions } from '../console/console-sessions.js';

/** What access control needs. */
export interface AccessDeps {
  authenticator: AuthenticatorType;
  audit: AuditLog;
  metrics: AuthMetrics;
  logger: Logger;
  /** Console sign-ins: a session cookie stands for the credential it was made from. */
  sessions?: SessionAccess;
}

/** Where console sessions are kept, and what their cookie looks like. */
export interface SessionAccess {
  store: ConsoleSessions;
  /** Whether the server speaks TLS (the cookie's name and `Secure` flag follow). */
  tls: boolean;
  /** Epoch ms, for expiry. */
  now(): number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Host names an API without credentials answers to: a page on another site cannot rebind its name to us. */
const LOCAL_HOSTS = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

/** Whether a request may reach an API without credentials: only under a local Host name (no DNS rebinding). */
export function localHost(req: Request): boolean {
  return LOCAL_HOSTS.test(req.get('host') ?? '');
}

/**
 * Whether a cookie-authenticated request that changes state comes from the console itself: it carries the
 * session's CSRF token in a header (which a form on another site cannot set), and when the browser names
 * the request's origin (Origin, Sec-Fetch-Site), that is this collector.
 */
export function sameOriginWrite(req: Request, session: ConsoleSession): boolean {
  const token = req.get(CSRF_HEADER);
  if (!token || !sameSecret(token, session.csrf)) return false;
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/** The caller's address, as audit and the failure limiter see it. */
export function clientOf(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** The principal {@link authenticate} attached to the request. */
export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** Sends `{error, message}` as JSON (every refusal of the API has this shape). */
export function refuse(res: Response, status: number, error: string, message: string): void {
  res.status(status).type('application/json').send(JSON.stringify({ error, message }));
}

/**
 * Access control of the HTTP API. {@link authenticate} guards every request it is mounted on: it attaches
 * the principal, or answers 401 (which credential was wrong, never whether an object exists) or 429 after
 * too many failures from the caller's address. Without credentials configured the API is open; it then
 * answers only to local Host names. {@link require} answers 403 naming the role an action needs.
 */
export class ApiAccess {
  constructor(private readonly deps: AccessDeps) {}

  readonly authenticate: RequestHandler = (req, res, next) => {
    const { metrics } = this.deps;
    if (!this.required() && !localHost(req)) {
      metrics.refused('bad_host');
      return refuse(res, 403, 'forbidden', `Host ${JSON.stringify(req.get('host') ?? '')} refused: this API has no credentials and answers only to localhost, 127.0.0.1 or [::1] (create a token to serve other names)`);
    }
    let authorization = req.get('authorization');
    const session = authorization === undefined ? this.session(req) : undefined;
    if (session) {
      if (!SAFE_METHODS.has(req.method) && !sameOriginWrite(req, session)) {
        metrics.refused('csrf');
        return refuse(res, 403, 'forbidden', `a console session may change state only from the console: send the page's CSRF token in ${CSRF_HEADER} from the same origin (or use Authorization: Bearer)`);
      }
      authorization = session.authorization;
    }
    this.check(req, authorization).then(
      (r) => {
        if (r.ok) {
          res.locals.principal = r.principal;
          return next();
        }
        if (r.failure === 'rate_limited') {
          res.set('Retry-After', String(r.retryAfterSeconds ?? 60));
          return refuse(res, 429, 'too_many_requests', r.message);
        }
        res.set('WWW-Authenticate', 'Bearer realm="edgewatch", Basic realm="edgewatch"');
        refuse(res, 401, 'unauthorized', r.message);
      },
      (err: unknown) => next(err),
    );
  };

  /** Whether any credential exists (without one the API is open to local Host names). */
  required(): boolean {
    return this.deps.authenticator.required();
  }

  /** The console session a request's cookie names, if it is live. */
  session(req: Request): ConsoleSession | undefined {
    const s = this.deps.sessions;
    return s?.store.get(readCookie(req.get('cookie'), sessionCookieName(s.tls)), s.now());
  }

  /** Authenticates an Authorization value for a request; a failure is counted and audited. */
  async check(req: Request, authorization: string | undefined): Promise<AuthResult> {
    const client = clientOf(req);
    const r = await this.deps.authenticator.authenticate(authorization, client);
    if (!r.ok) {
      this.deps.metrics.failed(r.failure);
      this.deps.audit.record({ who: client, source: client, action: 'login.failed', target: `${req.method} ${req.path}`, outcome: r.failure });
    }
    return r;
  }

  /** Whether the request's principal holds `role`; otherwise answers 403 naming it, and returns false. */
  allowed(res: Response, role: Role, what: string): boolean {
    const p = principalOf(res);
    if (p && roleAllows(p.role, role)) return true;
    this.deps.metrics.refused('forbidden');
    refuse(res, 403, 'forbidden', `role ${role} needed for ${what} (${p?.name ?? 'caller'} has ${p?.role ?? 'no role'})`);
    return false;
  }

  /** Middleware form of {@link allowed}. */
  require(role: Role, what?: string): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      if (this.allowed(res, role, what ?? `${req.method} ${req.path}`)) next();
    };
  }

  /** Counts a refusal of an authenticated request (limits, bad input). */
  refused(reason: Refusal): void {
    this.deps.metrics.refused(reason);
  }
}
