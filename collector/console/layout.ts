import type { Response } from 'express';
import type { Principal } from '../auth/roles.js';
import { roleAllows } from '../auth/roles.js';
import type { ConsoleAssets } from './console-assets.js';
import { html, type Html } from './html.js';

/**
 * What the console's pages may load: only this collector's own stylesheet, script and icon, and fetches
 * back to it; no inline script, no frames, no form posts elsewhere (works in an air-gapped room, and an
 * injected tag could not run or phone home).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Security headers of every console page. */
export function pageHeaders(res: Response): void {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    'Cross-Origin-Opener-Policy': 'same-origin',
  });
}

/** Who is looking and how: what each page needs besides its data. */
export interface PageContext {
  principal: Principal;
  /** The session's CSRF token (absent on an open API, where there is no session). */
  csrf?: string;
  now: number;
  assets: ConsoleAssets;
}

/** Whether the viewer may send the everyday commands (restart, stop, start, rollback): buttons show only then. */
export function canOperate(ctx: PageContext): boolean {
  return roleAllows(ctx.principal.role, 'operator');
}

const NAV = [
  { href: '/incidents', label: 'Incidents', key: 'incidents' },
  { href: '/nodes', label: 'Nodes', key: 'nodes' },
] as const;

/** The page's start, up to </head>: every page (the sign-in form too) loads the same three assets. */
export function documentHead(assets: ConsoleAssets, title: string, meta: Html | '' = ''): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${meta}
<title>${title} · edgewatch</title>
<link rel="icon" href="${assets.url('icon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assets.url('console.css')}">
<script src="${assets.url('console.js')}" defer></script>
</head>`;
}

/** The page shell: head, navigation (with who is signed in and sign-out), then the page's own content. */
export function layout(ctx: PageContext, o: { title: string; nav?: 'incidents' | 'nodes' | 'traces'; body: Html }): Html {
  const p = ctx.principal;
  const who = ctx.csrf
    ? html`<form method="post" action="/signout" class="signout"><input type="hidden" name="csrf" value="${ctx.csrf}"><span class="who">${p.name} <span class="muted">(${p.role})</span></span> <button type="submit" class="link">Sign out</button></form>`
    : html`<span class="who muted">open API (no credentials)</span>`;
  const meta = html`<meta name="referrer" content="same-origin">
${ctx.csrf ? html`<meta name="edgewatch-csrf" content="${ctx.csrf}">` : ''}
<meta name="edgewatch-role" content="${p.role}">`;
  return html`${documentHead(ctx.assets, o.title, meta)}
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<nav aria-label="Main">
<a class="brand" href="/">edgewatch</a>
${NAV.map((n) => html`<a href="${n.href}"${o.nav === n.key ? html` aria-current="page"` : ''}>${n.label}</a>`)}
</nav>
${who}
</header>
<main id="main" tabindex="-1">
${o.body}
</main>
</body>
</html>
`;
}

/** Sends a rendered page with the console's headers (no ETag: pages are never cached, and hashing megabytes costs). */
export function sendPage(res: Response, page: Html, status = 200): void {
  pageHeaders(res);
  const body = Buffer.from(page.value, 'utf8');
  res.status(status).set({ 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(body.length) });
  res.end(body);
}

/** A page saying what is missing and where to go instead (404 and friends), in the console's shell. */
export function messagePage(ctx: PageContext, title: string, message: string, back: { href: string; label: string }): Html {
  return layout(ctx, { title, body: html`<h1>${title}</h1><p>${message}</p><p><a href="${back.href}">${back.label}</a></p>` });
}
