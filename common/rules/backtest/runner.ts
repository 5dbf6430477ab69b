import { RobustBaselineRule } from '../kinds/robust-baseline.js';
import { Keyer } from '../keyer.js';
import { createEvaluator } from '../rule-engine.js';
import type { Rule } from '../rule-schema.js';
import type { RuleTransition, ValueSignal } from '../signals.js';
import type { BacktestSeries } from './reader.js';

/** A replay: per input row, the rule's state after it (columns, so a million rows cost a few arrays). */
export interface BacktestRun {
  rule: Rule;
  series: BacktestSeries;
  /** 1 while the rule fires after the row. */
  firing: Uint8Array;
  /** 1 on the row where an episode starts (the rule went to firing on it). */
  onset: Uint8Array;
  /** The anomaly score after the row (0..1): the detector's for robust-baseline, else firing as 0 or 1. */
  score: Float64Array;
  /** robust-baseline only: the value expected and one spread around it (NaN before the first judgement). */
  expected: Float64Array;
  spread: Float64Array;
  episodes: number;
  firingRows: number;
}

/** Labels for the rows' signals: every `by:` label, with the value the rule's own matchers ask for if any. */
function rowLabels(rule: Rule): Record<string, string> {
  const labels: Record<string, string> = {};
  const match = 'match' in rule ? rule.match : undefined;
  for (const name of rule.by) {
    let wanted: string | undefined;
    if (Array.isArray(match)) wanted = match.find((m) => m.name === name)?.values[0];
    else if (match && (name === 'node' || name === 'task' || name === 'service')) wanted = match[name]?.[0];
    labels[name] = wanted ?? 'backtest';
  }
  return labels;
}

/**
 * Replays rows through one rule, as one key, on the rows' own timeline: each row is observed as a value
 * signal at its timestamp, then the rule ticks to that timestamp (so `for`, leases and windows advance).
 * The rule's evaluator is driven directly, with one signal object and one transition list reused.
 */
export function runBacktest(rule: Rule, series: BacktestSeries): BacktestRun {
  const evaluator = createEvaluator(rule, new Keyer(rule.by));
  const detector = evaluator instanceof RobustBaselineRule ? evaluator : undefined;
  const { rows } = series;
  const n = rows.length;
  const run: BacktestRun = {
    rule,
    series,
    firing: new Uint8Array(n),
    onset: new Uint8Array(n),
    score: new Float64Array(n),
    expected: new Float64Array(n).fill(Number.NaN),
    spread: new Float64Array(n).fill(Number.NaN),
    episodes: 0,
    firingRows: 0,
  };
  const signal: ValueSignal = { kind: 'value', at: 0, value: 0, labels: rowLabels(rule) };
  const out: RuleTransition[] = [];
  let firing = false;
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    signal.at = r.at;
    signal.value = r.value;
    evaluator.observe(signal, out);
    evaluator.tick(r.at, out);
    let onset = false;
    for (let t = 0; t < out.length; t++) {
      firing = out[t]!.status === 'firing';
      if (firing) onset = true;
    }
    out.length = 0;
    if (firing) {
      run.firing[i] = 1;
      run.firingRows++;
    }
    if (onset) {
      run.onset[i] = 1;
      run.episodes++;
    }
    const last = detector?.latest;
    if (last === undefined) run.score[i] = firing ? 1 : 0;
    else {
      run.score[i] = last.score;
      run.expected[i] = last.expected;
      run.spread[i] = last.spread;
    }
  }
  return run;
}

/**
 * The output CSV: `[file,]timestamp,value,firing,onset,score`, the input's own text for timestamp and
 * value; the header line unless `header` is false (the second and later files of one run).
 */
export function formatBacktestCsv(run: BacktestRun, file?: string, header = true): string {
  const parts: string[] = header ? [backtestCsvHeader(file !== undefined)] : [];
  const prefix = file === undefined ? '' : `${csvField(file)},`;
  const { rows } = run.series;
  // Rows go into chunks of a few hundred lines: one short string per row would leave a million to join.
  let chunk = '';
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    chunk += prefix + r.timestampText + ',' + r.valueText + (run.firing[i] === 1 ? ',1,' : ',0,') + (run.onset[i] === 1 ? '1,' : '0,') + formatScoreCell(run.score[i]!) + '\n';
    if ((i & 511) === 511) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

/** The header line of {@link formatBacktestCsv}'s rows. */
export function backtestCsvHeader(withFile: boolean): string {
  return `${withFile ? 'file,' : ''}timestamp,value,firing,onset,score\n`;
}

/** "0", "0.0001" ... "0.9999", "1": the score column's cells, built once (toFixed per row is slow). */
let scoreCells: string[] | undefined;

function formatScoreCell(score: number): string {
  if (score === 0 || score === 1) return score === 0 ? '0' : '1';
  scoreCells ??= Array.from({ length: 10_001 }, (_, i) => (i === 0 ? '0' : i === 10_000 ? '1' : (i / 10_000).toFixed(4)));
  return scoreCells[Math.round(score * 10_000)]!;
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
