import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { errorMessage } from '../common/errors.js';
import type { ZoneResolver } from '../common/rules/backtest.js';
import { parse, UsageError, type Command } from './args.js';

/** `edgewatch backtest --rules FILE --rule NAME --input FILE.csv...`: replays series through one rule. */
export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay a recorded series through one collector rule and print when it would have fired',
  help: `Usage: edgewatch backtest --rules FILE --rule NAME --input FILE.csv [--input FILE.csv ...]
                          [--tz ZONE] [--plot OUT.svg] [--windows FILE]

Replays a recorded series through one rule of a collector rule file, exactly as the collector's engine
would evaluate it, and prints the rule's state after every row. Use it to check a rule on real data
before deploying it: the same idea as 'promtool test rules', but on a whole recorded series instead
of a hand-written one, and answering "when would this have fired?" rather than asserting it.

Options:
  --rules FILE    collector rule file (e.g. alerts/collector-rules.yml; format in docs/rules.md)
  --rule NAME     the rule to replay (its "name:")
  --input FILE    CSV with the columns timestamp,value (header optional); "-" reads stdin. Repeat it to
                  replay several files in one run, each through a fresh rule (a "file" column is added)
  --tz ZONE       the zone of timestamps that carry none (default UTC), e.g. Europe/Berlin
  --plot OUT.svg  draw the series, the expected band, the onsets and the --windows (one SVG per input:
                  with several inputs OUT-<input name>.svg)
  --windows FILE  labelled anomaly windows for the plot: CSV lines start,end or a JSON [[start, end], ...]
  -h, --help      show this help

Input (one sample per line; blank lines and lines starting with # are skipped):
  timestamp   RFC 3339 (2026-01-01T12:00:00Z, 2026-01-01T12:00:00.250+02:00), the same without a zone
              (2026-01-01 12:00:00: read in --tz, UTC by default) or epoch seconds or milliseconds
              (numbers below 1e11 are seconds). A row earlier than one before it (a clock that repeats
              an hour) is replayed at the latest time so far and counted in the summary.
  value       a number; what it stands for depends on the rule's kind:
                robust-baseline  one sample of the series (a latency, a rate ...); with step: and
                                 stat: rate each row is one event, with stat: ratio a non-zero row
                                 is one the numerator counts
                baseline     the watched field (field:, e.g. duration_ms): a latency, a size ...
                consecutive  the field the numeric matchers test: with match {status: ">=500"} the
                count          value is the status code; a rule with no numeric matcher (level, msg)
                               reads the value as "a matching event" when it is not 0
                pattern      not 0 = a matching log line
                crashloop    the number of restarts at that instant (0 = none)
                absence      not 0 = the signal arrived; 0 = nothing arrived (time passes)
                alert        not 0 = the alert is firing, 0 = resolved
  All rows of a file are one key (one node/task); labels the rule matches on are filled in to match.

Output (stdout, CSV):
  timestamp,value,firing,onset,score
  timestamp, value  echoed from the input
  firing            1 while the rule fires after this row (for:, keepFiringFor:, windows and leases all
                    run on the rows' own timestamps), else 0
  onset             1 only on the row where an episode starts (the rule went to firing on it)
  score             robust-baseline: the anomaly score 0..1 (how rare the deviation is for this series);
                    other kinds: firing as 0 or 1
  A summary (rows, episodes, rows firing, rows out of order) goes to stderr.

Example (test/fixtures/backtest/status-5xx.csv: the status codes one task answered):
  $ edgewatch backtest --rules alerts/collector-rules.yml --rule consecutive-5xx \\
      --input test/fixtures/backtest/status-5xx.csv
  timestamp,value,firing,onset,score
  2026-01-01T12:00:00Z,200,0,0,0
  2026-01-01T12:00:01Z,503,0,0,0
  2026-01-01T12:00:02Z,503,0,0,0
  2026-01-01T12:00:03Z,500,0,0,0
  2026-01-01T12:00:04Z,502,0,0,0
  2026-01-01T12:00:05Z,503,0,0,0
  2026-01-01T12:00:06Z,503,1,1,1      <- the 6th 5xx in a row: the episode starts
  2026-01-01T12:00:07Z,503,1,0,1
  2026-01-01T12:00:08Z,200,0,0,0      <- a success resolves it
  rule consecutive-5xx (consecutive): 9 rows, 1 episode(s), firing on 2 row(s)   (stderr)

Your own series with the default anomaly rule (docs/detection.md):
  $ edgewatch backtest --rules examples/rules/anomaly.yml --rule anomaly --input my-metric.csv \\
      --plot my-metric.svg

Tuning: replay a stretch you know (a healthy day, a past incident) and count the onsets.
  - robust-baseline: onsets on healthy data: raise minScore (0.998 -> 0.9995) or refractory; an
    incident missed: lower minScore; a daily pattern flagged: season: 1d
  - other kinds: onsets on healthy data: raise threshold or count, lengthen for:; no onset for an
    incident you know about, or one that comes late: lower them, shorten for:
  - one incident split into several episodes (flapping): set keepFiringFor:
  Compare two versions of a rule side by side:
    diff <(edgewatch backtest --rules old.yml --rule R --input day.csv) \\
         <(edgewatch backtest --rules new.yml --rule R --input day.csv)
  Like a promtool test, a saved output is a regression test: keep it beside the CSV and diff again
  after each change to the rule.
Exit status: 0 on success; 2 on bad usage, a bad rule file, an unknown rule (the names are listed),
an unknown --tz or unreadable input (the line and what is wrong are named).
`,
  async run(argv, io) {
    const { values } = parse(argv, {
      rules: { type: 'string' },
      rule: { type: 'string' },
      input: { type: 'string', multiple: true },
      tz: { type: 'string' },
      plot: { type: 'string' },
      windows: { type: 'string' },
    });
    for (const opt of ['rules', 'rule', 'input'] as const) if (!values[opt]) throw new UsageError(`--${opt} is required`);
    const bt = await import('../common/rules/backtest.js');
    const { loadRulesFile } = await import('../common/rules/rule-file.js');
    const rules = loadRulesFile(values.rules!);
    const rule = rules.find((r) => r.name === values.rule);
    if (!rule) {
      const names = rules.map((r) => r.name).join(', ') || '(none)';
      throw new UsageError(`no rule named "${values.rule}" in ${values.rules}; the rules there are: ${names}`);
    }
    const zone = zoneOption(values.tz, bt.zoneResolver);
    const inputs = values.input!;
    const windows = values.windows === undefined ? undefined : readWindows(values.windows, zone, bt);
    const several = inputs.length > 1;
    for (const [i, input] of inputs.entries()) {
      const text = readInput(input);
      let run;
      try {
        run = bt.runBacktest(rule, bt.parseBacktestCsv(text, { zone }));
      } catch (err) {
        if (err instanceof bt.BacktestInputError) throw new UsageError(`${input}: ${err.message}`);
        throw err;
      }
      io.out(bt.formatBacktestCsv(run, several ? input : undefined, i === 0));
      const { reordered, firstReorderedLine } = run.series;
      const late = reordered > 0 ? `, ${reordered} row(s) earlier than a row before them (first on line ${firstReorderedLine}) replayed at the latest time so far` : '';
      io.err(`${several ? `${input}: ` : ''}rule ${rule.name} (${rule.kind}): ${run.series.rows.length} rows, ${run.episodes} episode(s), firing on ${run.firingRows} row(s)${late}\n`);
      if (values.plot !== undefined) {
        const file = several ? plotName(values.plot, input) : values.plot;
        writeOut(file, bt.renderPlot(run, { title: `${rule.name} on ${basename(input)}`, ...(windows ? { windows } : {}) }));
        io.err(`plot: ${file}\n`);
      }
    }
    return 0;
  },
};

type Backtest = typeof import('../common/rules/backtest.js');

function zoneOption(tz: string | undefined, resolver: Backtest['zoneResolver']): ZoneResolver | undefined {
  if (tz === undefined) return undefined;
  try {
    return resolver(tz);
  } catch {
    throw new UsageError(`--tz: unknown time zone "${tz}"; use an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
}

function readInput(input: string): string {
  try {
    return readFileSync(input === '-' ? 0 : input, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${input}: ${errorMessage(err)}`);
  }
}

function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new UsageError(`cannot write ${file}: ${errorMessage(err)}`);
  }
}

/** out.svg and input latency.csv: out-latency.svg. */
function plotName(plot: string, input: string): string {
  const stem = basename(input).replace(/\.[^.]*$/, '') || 'stdin';
  const dot = plot.lastIndexOf('.');
  return dot > plot.lastIndexOf('/') ? `${plot.slice(0, dot)}-${stem}${plot.slice(dot)}` : `${plot}-${stem}`;
}

/** Labelled windows: a JSON list of [start, end] pairs, or CSV lines start,end (a header is skipped). */
function readWindows(file: string, zone: ZoneResolver | undefined, bt: Backtest): Array<[number, number]> {
  const text = readInput(file).trim();
  const parse = (t: unknown, where: string): number => {
    const at = typeof t === 'number' ? t : typeof t === 'string' ? bt.parseTimestamp(t.trim(), zone) : undefined;
    if (at === undefined) throw new UsageError(`--windows ${file}: ${where}: cannot parse timestamp ${JSON.stringify(t)}`);
    return at;
  };
  if (text.startsWith('[')) {
    let pairs: unknown;
    try {
      pairs = JSON.parse(text);
    } catch (err) {
      throw new UsageError(`--windows ${file}: not JSON: ${errorMessage(err)}`);
    }
    if (!Array.isArray(pairs)) throw new UsageError(`--windows ${file}: expected a list of [start, end] pairs`);
    return pairs.map((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new UsageError(`--windows ${file}: item ${i}: expected [start, end]`);
      return [parse(p[0], `item ${i}`), parse(p[1], `item ${i}`)];
    });
  }
  const out: Array<[number, number]> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const [a, b] = line.split(',');
    if (line.trim() === '' || (i === 0 && a !== undefined && bt.parseTimestamp(a.trim(), zone) === undefined)) return;
    out.push([parse(a, `line ${i + 1}`), parse(b, `line ${i + 1}`)]);
  });
  return out;
}
