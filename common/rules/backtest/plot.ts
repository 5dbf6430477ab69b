import type { BacktestRun } from './runner.js';

/** What a plot shows besides the replay. */
export interface PlotOptions {
  title?: string;
  /** Labelled anomaly windows, [start, end] in epoch ms, drawn as shaded spans. */
  windows?: ReadonlyArray<readonly [number, number]>;
  width?: number;
  height?: number;
}

/** The band drawn around the expected value, in spreads: a deviation must pass it to be an anomaly. */
const BAND_SPREADS = 3;
const PAD = { left: 64, right: 16, top: 36, bottom: 40 };

/**
 * An SVG of a replay: the series (min/max per pixel column, so a million rows stay a small file), the
 * expected band (expected ± 3 spreads, robust-baseline rules), labelled windows when given, and a marker
 * at every onset. It is the picture to look at before trusting a rule with pages.
 */
export function renderPlot(run: BacktestRun, options: PlotOptions = {}): string {
  const width = options.width ?? 1200;
  const height = options.height ?? 360;
  const rows = run.series.rows;
  const n = rows.length;
  const t0 = rows[0]!.at;
  const t1 = Math.max(rows[n - 1]!.at, t0 + 1);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const cols = Math.max(1, Math.min(plotW, n));
  const lo = new Float64Array(cols).fill(Infinity);
  const hi = new Float64Array(cols).fill(-Infinity);
  const bandLo = new Float64Array(cols).fill(Infinity);
  const bandHi = new Float64Array(cols).fill(-Infinity);
  let yMin = Infinity;
  let yMax = -Infinity;
  const colOf = (at: number): number => Math.min(cols - 1, Math.floor(((at - t0) / (t1 - t0)) * cols));
  for (let i = 0; i < n; i++) {
    const c = colOf(rows[i]!.at);
    const v = rows[i]!.value;
    if (v < lo[c]!) lo[c] = v;
    if (v > hi[c]!) hi[c] = v;
    yMin = Math.min(yMin, v);
    yMax = Math.max(yMax, v);
    const e = run.expected[i]!;
    const s = run.spread[i]!;
    if (Number.isFinite(e) && Number.isFinite(s)) {
      bandLo[c] = Math.min(bandLo[c]!, e - BAND_SPREADS * s);
      bandHi[c] = Math.max(bandHi[c]!, e + BAND_SPREADS * s);
    }
  }
  if (yMax === yMin) yMax = yMin + 1;
  const margin = (yMax - yMin) * 0.05;
  yMin -= margin;
  yMax += margin;
  const x = (c: number): string => (PAD.left + ((c + 0.5) / cols) * plotW).toFixed(1);
  const xAt = (at: number): string => (PAD.left + ((at - t0) / (t1 - t0)) * plotW).toFixed(1);
  const y = (v: number): string => (PAD.top + (1 - (Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * plotH).toFixed(1);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  for (const [a, b] of options.windows ?? []) {
    if (b < t0 || a > t1) continue;
    const xa = xAt(Math.max(a, t0));
    parts.push(`<rect x="${xa}" y="${PAD.top}" width="${(Number(xAt(Math.min(b, t1))) - Number(xa)).toFixed(1)}" height="${plotH}" fill="#fde68a" fill-opacity="0.6"><title>labelled window</title></rect>`);
  }
  const upper: string[] = [];
  const lower: string[] = [];
  for (let c = 0; c < cols; c++) {
    if (!Number.isFinite(bandLo[c]!)) continue;
    upper.push(`${x(c)},${y(bandHi[c]!)}`);
    lower.push(`${x(c)},${y(bandLo[c]!)}`);
  }
  if (upper.length > 1) parts.push(`<polygon points="${upper.join(' ')} ${lower.reverse().join(' ')}" fill="#93c5fd" fill-opacity="0.45" stroke="none"><title>expected ± ${BAND_SPREADS} spreads</title></polygon>`);
  const line: string[] = [];
  for (let c = 0; c < cols; c++) {
    if (!Number.isFinite(lo[c]!)) continue;
    line.push(`${x(c)},${y(lo[c]!)}`);
    if (hi[c] !== lo[c]) line.push(`${x(c)},${y(hi[c]!)}`);
  }
  parts.push(`<polyline points="${line.join(' ')}" fill="none" stroke="#1f2937" stroke-width="1"/>`);
  for (let i = 0; i < n; i++) {
    if (run.onset[i] !== 1) continue;
    const r = rows[i]!;
    parts.push(`<circle cx="${xAt(r.at)}" cy="${y(r.value)}" r="4.5" fill="none" stroke="#dc2626" stroke-width="2"><title>${escapeXml(r.timestampText)}: ${escapeXml(r.valueText)}, score ${run.score[i]!.toFixed(4)}</title></circle>`);
    parts.push(`<line x1="${xAt(r.at)}" x2="${xAt(r.at)}" y1="${PAD.top + plotH}" y2="${PAD.top + plotH - 8}" stroke="#dc2626" stroke-width="2"/>`);
  }
  parts.push(axes(width, height, plotH, yMin, yMax, rows[0]!.timestampText, rows[n - 1]!.timestampText));
  const title = options.title ?? `${run.rule.name} (${run.rule.kind})`;
  parts.push(`<text x="${PAD.left}" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  parts.push(`<text x="${width - PAD.right}" y="20" text-anchor="end">${legend(run, options)}</text>`);
  parts.push('</svg>\n');
  return parts.join('\n');
}

function axes(width: number, height: number, plotH: number, yMin: number, yMax: number, first: string, last: string): string {
  const right = width - PAD.right;
  const bottom = PAD.top + plotH;
  const label = (v: number): string => Number(v.toPrecision(3)).toString();
  return [
    `<rect x="${PAD.left}" y="${PAD.top}" width="${right - PAD.left}" height="${plotH}" fill="none" stroke="#9ca3af"/>`,
    `<text x="${PAD.left - 6}" y="${PAD.top + 4}" text-anchor="end">${label(yMax)}</text>`,
    `<text x="${PAD.left - 6}" y="${bottom}" text-anchor="end">${label(yMin)}</text>`,
    `<text x="${PAD.left}" y="${height - 14}">${escapeXml(first)}</text>`,
    `<text x="${right}" y="${height - 14}" text-anchor="end">${escapeXml(last)}</text>`,
  ].join('\n');
}

function legend(run: BacktestRun, options: PlotOptions): string {
  const items = ['<tspan fill="#1f2937">— series</tspan>'];
  if (run.expected.some(Number.isFinite)) items.push(`<tspan fill="#3b82f6">▮ expected ± ${BAND_SPREADS} spreads</tspan>`);
  items.push(`<tspan fill="#dc2626">○ onset (${run.episodes})</tspan>`);
  if (options.windows && options.windows.length > 0) items.push(`<tspan fill="#b45309">▮ labelled window (${options.windows.length})</tspan>`);
  return items.join('   ');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : '&quot;'));
}
