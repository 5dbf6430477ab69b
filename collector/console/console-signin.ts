import { Router, type Request, type Response } from 'express';
import type { Clock } from '../../common/clock.js';
import { clientOf, localHost, type ApiAccess } from '../api/access.js';
import { readBody } from '../api/json-body.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Principal } from '../auth/roles.js';
import type { ConsoleAssets } from './console-assets.js';
import { readCookie, sameSecret, sessionCookieName, type ConsoleSessions } from './console-sessions.js';
import { withQuery } from './html.js';
import { messagePage, pageHeaders, sendPage, type PageContext } from './layout.js';
import { safeNext, signinPage } from './signin-page.js';

/** What sign-in needs. */
export interface SigninDeps {
  access: ApiAccess;
  sessions: ConsoleSessions;
  audit: AuditLog;
  assets: ConsoleAssets;
  clock: Clock;
  tls: boolean;
  /** Seconds a session cookie lives at most (the session's own limit). */
  maxAgeSeconds: number;
}

/** Largest sign-in form body: a token and a path. */
const FORM_BYTES = 8 * 1024;

/** Whether a form post names this collector as its origin (when the browser says): no sign-in from other sites. */
function sameOrigin(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.get('origin');
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return new URL(origin).host === req.get('host');
  } catch {
    return false;
  }
}

/** A urlencoded form body of at most {@link FORM_BYTES}; undefined when it is not one. */
async function readForm(req: Request): Promise<URLSearchParams | undefined> {
  if (!/^application\/x-www-form-urlencoded\b/i.test(req.get('content-type') ?? '')) return undefined;
  if (Number(req.get('content-length') ?? 0) > FORM_BYTES) return undefined;
  const raw = await readBody(req, FORM_BYTES);
  return raw ? new URLSearchParams(raw.toString('utf8')) : undefined;
}

/**
 * Who is looking at a console page: the open API's anonymous admin (local Host names only), or the
 * principal of the session cookie, whose credential is checked again now (a revoked or expired token
 * ends the session). Otherwise the browser is sent to sign in and undefined is returned.
 */
export async function pageContext(req: Request, res: Response, d: Pick<SigninDeps, 'access' | 'sessions' | 'assets' | 'clock' | 'tls'>): Promise<PageContext | undefined> {
  const now = d.clock.now();
  if (!d.access.required()) {
    if (localHost(req)) return { principal: { name: 'anonymous', role: 'admin', via: 'none' }, now, assets: d.assets };
    d.access.refused('bad_host');
    pageHeaders(res);
    res.status(403).type('text/plain').send('this collector has no credentials and answers only to localhost, 127.0.0.1 or [::1] (create a token to serve other names)\n');
    return undefined;
  }
  const session = d.access.session(req);
  const next = safeNext(req.originalUrl);
  if (!session) {
    res.redirect(303, withQuery('/signin', { next: next === '/' ? undefined : next }));
    return undefined;
  }
  const r = await d.access.check(req, session.authorization);
  if (!r.ok) {
    d.sessions.end(readCookie(req.get('cookie'), sessionCookieName(d.tls)));
    res.redirect(303, withQuery('/signin', { next, expired: '1' }));
    return undefined;
  }
  return { principal: r.principal, csrf: session.csrf, now, assets: d.assets };
}

function cookie(d: SigninDeps, value: string, maxAgeSeconds: number): string {
  return `${sessionCookieName(d.tls)}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${d.tls ? '; Secure' : ''}`;
}

/** GET/POST /signin and POST /signout. */
export function signinRoutes(d: SigninDeps): Router {
  const router = Router();
  const refusePage = (res: Response, status: number, message: string, next = '/') => {
    sendPage(res, signinPage(d.assets, { next, message }), status);
  };
  router.get('/signin', (req, res) => {
    if (!d.access.required()) return res.redirect(303, '/');
    const next = safeNext(req.query.next);
    sendPage(res, signinPage(d.assets, { next, ...(req.query.expired ? { notice: 'Your session ended or its token no longer works: sign in again.' } : {}) }));
  });
  router.post('/signin', async (req, res, nextFn) => {
    try {
      if (!d.access.required()) return res.redirect(303, '/');
      if (!sameOrigin(req)) return refusePage(res, 403, 'Sign-in must come from this console’s own form (the request named another origin).');
      const form = await readForm(req);
      if (!form) return refusePage(res, 400, 'Send the sign-in form (application/x-www-form-urlencoded, under 8 KiB).');
      const token = (form.get('token') ?? '').trim();
      const next = safeNext(form.get('next'));
      if (!token || token.length > 512 || /\s/.test(token)) return refusePage(res, 400, 'Paste one API token (no spaces, at most 512 characters).', next);
      const r = await d.access.check(req, `Bearer ${token}`);
      if (!r.ok) return refusePage(res, r.failure === 'rate_limited' ? 429 : 401, r.message, next);
      if (r.principal.role === 'alertmanager') return refusePage(res, 403, 'An alertmanager token may only post alerts: sign in with a viewer, operator or admin token.', next);
      const { id } = d.sessions.create(`Bearer ${token}`, d.clock.now());
      audit(d, req, r.principal, 'console.signin', 'signed_in');
      res.append('Set-Cookie', cookie(d, id, d.maxAgeSeconds));
      res.redirect(303, next);
    } catch (err) {
      nextFn(err);
    }
  });
  router.post('/signout', async (req, res, nextFn) => {
    try {
      const id = readCookie(req.get('cookie'), sessionCookieName(d.tls));
      const session = d.access.session(req);
      const form = await readForm(req);
      const csrf = form?.get('csrf') ?? '';
      if (session && (!sameOrigin(req) || !sameSecret(csrf, session.csrf))) {
        d.access.refused('csrf');
        const ctx: PageContext = { principal: { name: 'unknown', role: 'viewer', via: 'none' }, now: d.clock.now(), assets: d.assets };
        return sendPage(res, messagePage(ctx, 'Not signed out', 'Sign-out must come from the console’s own button.', { href: '/', label: 'Back to the console' }), 403);
      }
      d.sessions.end(id);
      res.append('Set-Cookie', cookie(d, '', 0));
      res.redirect(303, '/signin');
    } catch (err) {
      nextFn(err);
    }
  });
  return router;
}

function audit(d: SigninDeps, req: Request, p: Principal, action: string, outcome: string): void {
  d.audit.record({ who: p.name, role: p.role, source: clientOf(req), action, target: 'console', outcome });
}
