import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, html, pathOf, trusted, withQuery } from '../../../../collector/console/html.js';
import { safeNext } from '../../../../collector/console/signin-page.js';

describe('console html', () => {
  it('escapes every interpolated value, in content and in quoted attributes', () => {
    const evil = `<script>alert("x")</script>' onmouseover='y' \`z\``;
    const out = html`<p title="${evil}">${evil}</p>`.value;
    assert.equal(out, `<p title="${escapeHtml(evil)}">${escapeHtml(evil)}</p>`);
    assert.doesNotMatch(out, /<script|" onmouseover|' onmouseover/);
    assert.equal(escapeHtml(`&<>"'\``), '&amp;&lt;&gt;&quot;&#39;&#96;');
  });

  it('nests safe markup, renders lists, and leaves out null, undefined and booleans', () => {
    const inner = html`<b>${'<i>'}</b>`;
    assert.equal(html`<div>${inner}${[html`<br>`, '<', 1]}${null}${undefined}${false}${true}</div>`.value, '<div><b>&lt;i&gt;</b><br>&lt;1</div>');
    assert.equal(html`${trusted('<hr>')}`.value, '<hr>');
  });

  it('builds paths with each segment percent-encoded, and queries from defined values only', () => {
    assert.equal(pathOf('incidents', '../x y?#'), '/incidents/..%2Fx%20y%3F%23');
    assert.equal(withQuery('/signin', { next: '/nodes?a=1', expired: undefined, empty: '' }), '/signin?next=%2Fnodes%3Fa%3D1');
    assert.equal(withQuery('/incidents', {}), '/incidents');
  });

  it('sign-in returns only to local paths', () => {
    for (const ok of ['/', '/nodes', '/incidents/abc?x=1#y', '/traces/0af7651916cd43dd8448eb211c80319c']) assert.equal(safeNext(ok), ok);
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'javascript:alert(1)', '/a b', '', undefined, 42, '/signin?next=/x', '/signout', `/${'a'.repeat(2001)}`]) {
      assert.equal(safeNext(bad), '/', String(bad));
    }
  });
});
