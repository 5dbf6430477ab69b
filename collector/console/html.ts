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

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(v: HtmlValue, out: string[]): void {
  if (v === null || v === undefined || v === false || v === true) return;
  if (v instanceof Html) out.push(v.value);
  else if (Array.isArray(v)) for (const item of v as readonly HtmlValue[]) render(item, out);
  else out.push(escapeHtml(String(v)));
}

/** Tagged template: the literal parts are markup, every `${value}` is escaped unless it is {@link Html}. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  const out: string[] = [];
  for (let i = 0; i < strings.length; i++) {
    out.push(strings[i]!);
    if (i < values.length) render(values[i], out);
  }
  return new Html(out.join(''));
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
