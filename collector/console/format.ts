import { html, type Html } from './html.js';

/** ISO 8601 in UTC with milliseconds. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/** "2026-11-24 17:43:21 UTC": what a page shows before its script puts the time in the viewer's zone. */
export function utcText(ms: number): string {
  return `${isoOf(ms).slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A `<time>` element: UTC in the text and the tooltip; the console script rewrites the text into the
 * viewer's time zone and keeps UTC on hover (`title`).
 */
export function timeTag(ms: number | undefined, kind: 'datetime' | 'time' = 'datetime'): Html {
  if (ms === undefined || !Number.isFinite(ms)) return html`<span class="muted">—</span>`;
  const iso = isoOf(ms);
  return html`<time datetime="${iso}" title="${utcText(ms)}" data-kind="${kind}">${utcText(ms)}</time>`;
}

/** A span of time in the largest sensible units: "850 ms", "42 s", "3 min", "2 h 5 min", "3 d 4 h". */
export function durationText(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  const s = Math.floor(abs / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** How long ago `ms` was, as of `now`: "3 min ago". */
export function agoText(ms: number | undefined, now: number): string {
  if (ms === undefined) return 'never';
  return now - ms < 1000 ? 'just now' : `${durationText(now - ms)} ago`;
}

/** A byte count in binary units. */
export function bytesText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 10 || u === 0 ? Math.round(v) : v.toFixed(1)} ${units[u]}`;
}

/** A status word as a badge; the class picks the colour, the word carries the meaning (never colour alone). */
export function badge(word: string, tone: 'bad' | 'warn' | 'ok' | 'info' | 'muted'): Html {
  return html`<span class="badge ${tone}">${word}</span>`;
}
