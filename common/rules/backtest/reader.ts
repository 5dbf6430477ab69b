import { EdgewatchError } from '../../errors.js';
import { parseTimestamp, UTC, type ZoneResolver } from './timestamps.js';

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
  /** Epoch ms; never earlier than the row before (see {@link BacktestSeries.reordered}). */
  at: number;
  value: number;
}

/** The rows of one input, in input order. */
export interface BacktestSeries {
  rows: BacktestRow[];
  /** Rows whose time was earlier than a row before them: replayed at the latest time seen so far. */
  reordered: number;
  /** The first such row's line, for the summary; 0 when none. */
  firstReorderedLine: number;
}

/** How to read timestamps without a zone. */
export interface ReadOptions {
  zone?: ZoneResolver;
}

function unquote(f: string): string {
  const t = f.trim();
  return t.length >= 2 && t.charCodeAt(0) === 34 && t.charCodeAt(t.length - 1) === 34 ? t.slice(1, -1) : t;
}

function fields(line: string): string[] {
  return line.split(',').map(unquote);
}

interface Columns {
  ts: number;
  value: number;
  header: boolean;
}

/** Where the two columns are: from a header naming them, or the first two columns when there is none. */
function columns(first: string[], lineNo: number, zone: ZoneResolver): Columns {
  if (first[0] !== undefined && parseTimestamp(first[0], zone) !== undefined) return { ts: 0, value: 1, header: false };
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

/**
 * Parses backtest input: `timestamp,value` rows (header optional; other columns ignored); blank and `#`
 * lines skipped. A timestamp without a zone reads in `zone` (UTC unless told). A row earlier than one
 * before it is kept in place at the latest time so far and counted, as a clock that repeats an hour does.
 */
export function parseBacktestCsv(text: string, options: ReadOptions = {}): BacktestSeries {
  const zone = options.zone ?? UTC;
  const rows: BacktestRow[] = [];
  let cols: Columns | undefined;
  let latest = Number.NEGATIVE_INFINITY;
  let reordered = 0;
  let firstReorderedLine = 0;
  let lineNo = 0;
  for (let pos = 0; pos <= text.length; ) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    lineNo++;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    pos = end + 1;
    const line = raw.trim();
    if (line === '' || line.charCodeAt(0) === 35) continue;
    let tsText: string | undefined;
    let valueText: string | undefined;
    const comma = line.indexOf(',');
    if (cols !== undefined && cols.ts === 0 && cols.value === 1 && comma > 0 && line.indexOf(',', comma + 1) < 0 && line.charCodeAt(0) !== 34) {
      tsText = line.slice(0, comma).trim();
      valueText = unquote(line.slice(comma + 1));
    } else {
      const f = fields(line);
      if (cols === undefined) {
        cols = columns(f, lineNo, zone);
        if (cols.header) continue;
      }
      tsText = f[cols.ts];
      valueText = f[cols.value];
      if (tsText === undefined || valueText === undefined || tsText === '' || valueText === '') {
        throw new BacktestInputError(`line ${lineNo}: expected timestamp,value, got "${f.join(',')}"`);
      }
    }
    let at = parseTimestamp(tsText, zone);
    if (at === undefined) {
      throw new BacktestInputError(
        `line ${lineNo}: cannot parse timestamp "${tsText}": use RFC 3339 (2026-01-01T12:00:00Z; without a zone it reads as UTC, or --tz) or epoch seconds or milliseconds`,
      );
    }
    const value = valueText === '' ? Number.NaN : Number(valueText);
    if (!Number.isFinite(value)) throw new BacktestInputError(`line ${lineNo}: value "${valueText}" is not a number`);
    if (at < latest) {
      if (reordered++ === 0) firstReorderedLine = lineNo;
      at = latest;
    } else latest = at;
    rows.push({ line: lineNo, timestampText: tsText, valueText, at, value });
  }
  if (rows.length === 0) throw new BacktestInputError('no rows: the input needs lines of timestamp,value');
  return { rows, reordered, firstReorderedLine };
}
