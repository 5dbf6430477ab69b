/**
 * HTML built from templates that escape every interpolated value: the console's only way to write markup,
 * so a log line or an annotation holding `<script>` is shown as text, never run (OWASP XSS prevention,
 * rule 1: encode on output, in quoted attributes and element content alike).
 */

/** Markup that is already safe: made by {@link html}, or {@link trusted} for constant strings. */
export class Html {
  constructor(readonly value: string) {}

  toString(): string {
    return this.value;
  }
}

/** What a template may interpolate: text (escaped), safe markup, lists of either, or nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

const SPECIAL = /[&<>"'`]/;
const SPECIALS = /[&<>"'`]/g;

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPES[c]!) : text;
}

/**
 * Text for element content only (never an attribute): `&`, `<` and `>` escaped, quotes left as they are,
 * which keeps large text (raw JSON records) small.
 */
export function contentText(text: string): Html {
  return new Html(/[&<>]/.test(text) ? text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : text);
}

// Built by `+=`: V8 makes rope strings, so a page holding a multi-megabyte waterfall is copied once (when
// it is sent), not at every level of nesting as Array.join would.
function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false || v === true) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) {
    let out = '';
    for (const item of v as readonly HtmlValue[]) out += render(item);
    return out;
  }
  return escapeHtml(String(v));
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped unless it is {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Marks a constant string as markup (never pass it data from outside). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/** A path of the console with each segment percent-encoded: `/incidents/${id}` without injection. */
export function pathOf(...segments: string[]): string {
  return `/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

/** A path with a query string built from defined values only. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}
