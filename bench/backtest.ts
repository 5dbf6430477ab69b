/**
 * `npm run bench -- backtest [--rows N] [--passes N]`: rows per second through `edgewatch backtest` in
 * process: parsing the CSV, replaying it through a rule (the default anomaly rule, and the README's old
 * baseline rule for comparison), and both. The series is synthetic: a daily wave, noise and a few spikes,
 * one row a minute with zone-less timestamps (the common CSV form).
 */
import { parseArgs } from 'node:util';
import { formatBacktestCsv, parseBacktestCsv, runBacktest } from '../common/rules/backtest.js';
import { loadRules } from '../common/rules/rule-file.js';
import { bestOf } from './support/timing.js';

const RULES = `rules:
  - {name: anomaly, kind: robust-baseline}
  - {name: baseline, kind: baseline, method: ratio, threshold: 4}
`;

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

/** The CSV text of `rows` one-minute samples from 2014-04-01 00:00:00 (no zone). */
function buildCsv(rows: number): string {
  const parts = ['timestamp,value\n'];
  const t0 = Date.UTC(2014, 3, 1);
  let seed = 42;
  for (let i = 0; i < rows; i++) {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff;
    const noise = seed / 0x7fffffff - 0.5;
    const wave = 30 * Math.sin((2 * Math.PI * i) / 1440);
    const value = i % 50_000 === 25_000 ? 400 : 100 + wave + 10 * noise;
    parts.push(`${new Date(t0 + i * 60_000).toISOString().slice(0, 19).replace('T', ' ')},${value.toFixed(2)}\n`);
  }
  return parts.join('');
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { rows: { type: 'string' }, passes: { type: 'string' } } });
  const rows = Number(values.rows ?? 1_000_000);
  const passes = Number(values.passes ?? 3);
  const [anomaly, baseline] = loadRules(RULES);
  const csv = buildCsv(rows);
  log(`backtest bench: ${rows} rows (${Math.round(csv.length / 2 ** 20)} MiB of CSV), best of ${passes}`);
  let series = parseBacktestCsv(csv);
  const parseMs = bestOf(passes, () => (series = parseBacktestCsv(csv)));
  const result: Record<string, number> = { parseRowsPerSec: Math.round(rows / (parseMs / 1000)) };
  for (const rule of [anomaly!, baseline!]) {
    let episodes = 0;
    const replayMs = bestOf(passes, () => (episodes = runBacktest(rule, series).episodes));
    const formatMs = bestOf(passes, () => formatBacktestCsv(runBacktest(rule, series)));
    result[`${rule.name}ReplayRowsPerSec`] = Math.round(rows / (replayMs / 1000));
    result[`${rule.name}EndToEndRowsPerSec`] = Math.round(rows / ((parseMs + formatMs) / 1000));
    log(`${rule.name} (${rule.kind}): replay ${result[`${rule.name}ReplayRowsPerSec`]} rows/s, parse+replay+format ${result[`${rule.name}EndToEndRowsPerSec`]} rows/s, ${episodes} episode(s)`);
  }
  log(JSON.stringify({ bench: 'backtest', rows, ...result, target: 1_000_000 }));
}
