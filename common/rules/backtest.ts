import { EdgewatchError } from '../errors.js';
import { RuleEngine } from './rule-engine.js';
import type { Rule } from './rule-schema.js';
import type { ValueSignal } from './signals.js';

/** A backtest CSV that cannot be read: what is wrong and on which line. */
export class BacktestInputError extends EdgewatchError {
  constructor(message: string) {
    super('EW_BACKTEST_INPUT', message);
    this.name = 'BacktestInputError';
  }
}

/** One input row: the text as given (echoed in the output) and its parsed time and value. */
export interface BacktestRow {
  line: number;
  timestampText: string;
  valueText: string;
  at: number;
  value: number;
}

/** One output row: the rule's state after the input row. */
export interface BacktestResult extends BacktestRow {
  firing: boolean;
  /** The row where an episode starts (the rule went to firing on it). */
  onset: boolean;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const EPOCH = /^-?\d+(?:\.\d+)?$/;
/** Epoch numbers below this are seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;

/** Epoch ms of an RFC 3339 timestamp or epoch seconds/milliseconds; undefined when it is neither. */
export function parseTimestamp(text: string): number | undefined {
  if (EPOCH.test(text)) {
    const n = Number(text);
    return Math.abs(n) < SECONDS_BELOW ? Math.round(n * 1000) : Math.round(n);
  }
  if (!RFC3339.test(text)) return undefined;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isNaN(ms) ? undefined : ms;
}

function fields(line: string): string[] {
  return line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));
}

/** Where the two columns are: from a header naming them, or the first two columns when there is none. */
function columns(first: string[], lineNo: number): { ts: number; value: number; header: boolean } {
  if (first[0] !== undefined && parseTimestamp(first[0]) !== undefined) return { ts: 0, value: 1, header: false };
  const names = first.map((f) => f.toLowerCase());
  const ts = names.indexOf('timestamp');
  const value = names.indexOf('value');
  if (ts < 0 || value < 0) {
    const missing = [ts < 0 ? '"timestamp"' : '', value < 0 ? '"value"' : ''].filter(Boolean).join(' and ');
    throw new BacktestInputError(
      `line ${lineNo}: the header (${first.join(',')}) has no ${missing} column${ts < 0 && value < 0 ? 's' : ''}; the input needs the columns timestamp,value (the header is optional)`,
    );
  }
  return { ts, value, header: true };
}

/** Parses backtest input: `timestamp,value` rows (header optional), in time order; blank and `#` lines skipped. */
export function parseBacktestCsv(text: string): BacktestRow[] {
  const rows: BacktestRow[] = [];
  let cols: { ts: number; value: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = fields(line);
    if (cols === undefined) {
      const found = columns(f, i + 1);
      cols = found;
      if (found.header) continue;
    }
    rows.push(row(f, cols, i + 1, rows[rows.length - 1]));
  }
  if (rows.length === 0) throw new BacktestInputError('no rows: the input needs lines of timestamp,value');
  return rows;
}

function row(f: string[], cols: { ts: number; value: number }, line: number, previous: BacktestRow | undefined): BacktestRow {
  const timestampText = f[cols.ts];
  const valueText = f[cols.value];
  if (timestampText === undefined || valueText === undefined || timestampText === '' || valueText === '') {
    throw new BacktestInputError(`line ${line}: expected timestamp,value, got "${f.join(',')}"`);
  }
  const at = parseTimestamp(timestampText);
  if (at === undefined) {
    throw new BacktestInputError(
      `line ${line}: cannot parse timestamp "${timestampText}": use RFC 3339 (2026-01-01T12:00:00Z) or epoch seconds or milliseconds`,
    );
  }
  const value = Number(valueText);
  if (!Number.isFinite(value)) throw new BacktestInputError(`line ${line}: value "${valueText}" is not a number`);
  if (previous && at < previous.at) {
    throw new BacktestInputError(`line ${line}: timestamp ${timestampText} is earlier than the row before (${previous.timestampText}); sort the rows by time`);
  }
  return { line, timestampText, valueText, at, value };
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
 * signal at its timestamp, then the engine ticks to that timestamp (so `for`, leases and windows advance).
 */
export function runBacktest(rule: Rule, rows: readonly BacktestRow[]): BacktestResult[] {
  const engine = new RuleEngine([rule], { maxLateMs: Infinity });
  const labels = rowLabels(rule);
  let firing = false;
  return rows.map((r) => {
    const signal: ValueSignal = { kind: 'value', at: r.at, value: r.value, labels };
    let onset = false;
    for (const t of [...engine.observe(signal), ...engine.tick(r.at)]) {
      firing = t.status === 'firing';
      if (firing) onset = true;
    }
    return { ...r, firing, onset };
  });
}

/** The output CSV: `timestamp,value,firing,onset`, the input's own text for the first two columns. */
export function formatBacktestCsv(results: readonly BacktestResult[]): string {
  let out = 'timestamp,value,firing,onset\n';
  for (const r of results) out += `${r.timestampText},${r.valueText},${r.firing ? 1 : 0},${r.onset ? 1 : 0}\n`;
  return out;
}
