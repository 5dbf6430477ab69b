import type { DetectorStep } from './detector.js';

/** A number with 3 significant digits, without exponent noise: 412, 95.2, 0.0123. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const digits = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.abs(x)))));
  return x.toFixed(digits).replace(/\.0+$|(\.\d*?)0+$/, '$1');
}

/** A value in its unit: "412 ms", "3.2 GiB" for bytes, "4.1%" for a ratio, "120/s" for a rate. */
export function formatValue(x: number, unit: string): string {
  if (unit === 'bytes') {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    let v = x;
    while (Math.abs(v) >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return `${formatNumber(v)} ${units[i]}`;
  }
  if (unit === '%') return `${formatNumber(x * 100)}%`;
  if (unit === '/s') return `${formatNumber(x)}/s`;
  return unit === '' ? formatNumber(x) : `${formatNumber(x)} ${unit}`;
}

/**
 * The sentence an alert carries: `p99 412 ms, expected 95 ± 12 ms (Tuesday 14:00 UTC), score 0.998`:
 * what was seen, the band it was held against, when in the season, and how unusual it is for this series.
 */
export function evidence(what: string, x: number, step: Pick<DetectorStep, 'expected' | 'spread' | 'score'>, unit: string, when: string): string {
  const band = unit === 'bytes' || unit === '%' || unit === '/s'
    ? `${formatValue(step.expected, unit)} ± ${formatValue(step.spread, unit)}`
    : `${formatNumber(step.expected)} ± ${formatValue(step.spread, unit)}`;
  const season = when === '' ? '' : ` (${when})`;
  return `${what} ${formatValue(x, unit)}, expected ${band}${season}, score ${formatScore(step.score)}`;
}

/** A score with enough digits to tell 0.999 from 0.9999 (never rounded up to 1). */
export function formatScore(score: number): string {
  if (score >= 1) return '1';
  let digits = 3;
  while (digits < 6 && Number(score.toFixed(digits)) >= 1) digits++;
  return (Math.floor(score * 10 ** digits) / 10 ** digits).toFixed(digits);
}
