import type { ConsoleAssets } from './console-assets.js';
import { html, type Html } from './html.js';
import { documentHead } from './layout.js';

/**
 * Where the console may send a browser after sign-in: a path of this collector only (one leading slash,
 * no backslash, no scheme or host), so a crafted link cannot turn sign-in into an open redirect.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/';
  if (!/^\/(?![/\\])[^\s\\]*$/.test(value) || value.startsWith('/signin') || value.startsWith('/signout')) return '/';
  return value;
}

/** The sign-in form: an API token (role viewer, operator or admin) and where to go afterwards. */
export function signinPage(assets: ConsoleAssets, o: { next: string; message?: string; notice?: string }): Html {
  return html`${documentHead(assets, 'Sign in')}
<body class="signin">
<main id="main">
<h1>edgewatch</h1>
<form method="post" action="/signin" class="card">
<h2>Sign in</h2>
${o.message ? html`<p class="form-error" role="alert">${o.message}</p>` : ''}
${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus maxlength="512">
<input type="hidden" name="next" value="${o.next}">
<button type="submit">Sign in</button>
<p class="muted">Use a token of role viewer, operator or admin: <code>edgewatch token create --name NAME --role operator</code>, or the admin token <code>edgewatch start</code> wrote to <code>data/admin.token</code>. The token stays on the collector; this browser gets a session cookie.</p>
</form>
</main>
</body>
</html>
`;
}
