import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../../common/logger.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { AuthMetrics, Refusal } from '../auth/auth-metrics.js';
import type { Authenticator } from '../auth/authenticator.js';
import { roleAllows, type Principal, type Role } from '../auth/roles.js';

/** What access control needs. */
export interface AccessDeps {
  authenticator: Authenticator;
  audit: AuditLog;
  metrics: AuthMetrics;
  logger: Logger;
}

/** Host names an API without credentials answers to: a page on another site cannot rebind its name to us. */
const LOCAL_HOSTS = /^(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/i;

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
    const { authenticator, metrics, audit } = this.deps;
    const client = clientOf(req);
    if (!authenticator.required() && !LOCAL_HOSTS.test(req.get('host') ?? '')) {
      metrics.refused('bad_host');
      return refuse(res, 403, 'forbidden', `Host ${JSON.stringify(req.get('host') ?? '')} refused: this API has no credentials and answers only to localhost, 127.0.0.1 or [::1] (create a token to serve other names)`);
    }
    authenticator.authenticate(req.get('authorization'), client).then(
      (r) => {
        if (r.ok) {
          res.locals.principal = r.principal;
          return next();
        }
        metrics.failed(r.failure);
        audit.record({ who: client, source: client, action: 'login.failed', target: `${req.method} ${req.path}`, outcome: r.failure });
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
