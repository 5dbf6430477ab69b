import { readFileSync } from 'node:fs';
import { errorMessage } from '../common/errors.js';
import { parse, UsageError, type Command } from './args.js';

/** `edgewatch backtest --rules FILE --rule NAME --input FILE.csv`: replays a series through one rule. */
export const backtestCommand: Command = {
  name: 'backtest',
  summary: 'replay a recorded series through one collector rule and print when it would have fired',
  help: `Usage: edgewatch backtest --rules FILE --rule NAME --input FILE.csv

Replays a recorded series through one rule of a collector rule file, exactly as the collector's engine
would evaluate it, and prints the rule's state after every row. Use it to choose thresholds on real data
before deploying a rule: the same idea as 'promtool test rules', but on a whole recorded series instead
of a hand-written one, and answering "when would this have fired?" rather than asserting it.

Options:
  --rules FILE    collector rule file (e.g. alerts/collector-rules.yml; format in docs/rules.md)
  --rule NAME     the rule to replay (its "name:")
  --input FILE    CSV with the columns timestamp,value (header optional); "-" reads stdin
  -h, --help      show this help

Input (one sample per line, in time order; blank lines and lines starting with # are skipped):
  timestamp   RFC 3339 (2026-01-01T12:00:00Z, 2026-01-01T12:00:00.250+02:00) or epoch seconds or
              milliseconds (numbers below 1e11 are seconds)
  value       a number; what it stands for depends on the rule's kind:
                baseline     the watched field (field:, e.g. duration_ms): a latency, a size ...
                consecutive  the field the numeric matchers test: with match {status: ">=500"} the
                count          value is the status code; a rule with no numeric matcher (level, msg)
                               reads the value as "a matching event" when it is not 0
                pattern      not 0 = a matching log line
                crashloop    the number of restarts at that instant (0 = none)
                absence      not 0 = the signal arrived; 0 = nothing arrived (time passes)
                alert        not 0 = the alert is firing, 0 = resolved
  All rows are one key (one node/task); labels the rule matches on are filled in to match.

Output (stdout, CSV):
  timestamp,value,firing,onset
  timestamp, value  echoed from the input
  firing            1 while the rule fires after this row (for:, keepFiringFor:, windows and leases all
                    run on the rows' own timestamps), else 0
  onset             1 only on the row where an episode starts (the rule went to firing on it)
  A summary (rows, episodes, rows firing) goes to stderr.

Example (test/fixtures/backtest/status-5xx.csv: the status codes one task answered):
  $ edgewatch backtest --rules alerts/collector-rules.yml --rule consecutive-5xx \\
      --input test/fixtures/backtest/status-5xx.csv
  timestamp,value,firing,onset
  2026-01-01T12:00:00Z,200,0,0
  2026-01-01T12:00:01Z,503,0,0
  2026-01-01T12:00:02Z,503,0,0
  2026-01-01T12:00:03Z,500,0,0
  2026-01-01T12:00:04Z,502,0,0
  2026-01-01T12:00:05Z,503,0,0
  2026-01-01T12:00:06Z,503,1,1      <- the 6th 5xx in a row: the episode starts
  2026-01-01T12:00:07Z,503,1,0
  2026-01-01T12:00:08Z,200,0,0      <- a success resolves it
  rule consecutive-5xx (consecutive): 9 rows, 1 episode(s), firing on 2 row(s)   (stderr)

Tuning: replay a stretch you know (a healthy day, a past incident) and count the onsets.
  - onsets on healthy data: raise threshold or count, lengthen for:, or (baseline) smooth more with
    currentSamples or set minValue
  - no onset for an incident you know about, or one that comes late: lower them, shorten for:
  - one incident split into several episodes (flapping): set keepFiringFor:
  Compare two versions of a rule side by side:
    diff <(edgewatch backtest --rules old.yml --rule R --input day.csv) \\
         <(edgewatch backtest --rules new.yml --rule R --input day.csv)
  Like a promtool test, a saved output is a regression test: keep it beside the CSV and diff again
  after each change to the rule.
Exit status: 0 on success; 2 on bad usage, a bad rule file, an unknown rule (the names are listed) or
unreadable input (the line and what is wrong are named).
`,
  async run(argv, io) {
    const { values } = parse(argv, { rules: { type: 'string' }, rule: { type: 'string' }, input: { type: 'string' } });
    for (const opt of ['rules', 'rule', 'input'] as const) if (!values[opt]) throw new UsageError(`--${opt} is required`);
    const [{ BacktestInputError, formatBacktestCsv, parseBacktestCsv, runBacktest }, { loadRulesFile }] = await Promise.all([
      import('../common/rules/backtest.js'),
      import('../common/rules/rule-file.js'),
    ]);
    const rules = loadRulesFile(values.rules!);
    const rule = rules.find((r) => r.name === values.rule);
    if (!rule) {
      const names = rules.map((r) => r.name).join(', ') || '(none)';
      throw new UsageError(`no rule named "${values.rule}" in ${values.rules}; the rules there are: ${names}`);
    }
    const input = values.input!;
    let text: string;
    try {
      text = readFileSync(input === '-' ? 0 : input, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read ${input}: ${errorMessage(err)}`);
    }
    let results;
    try {
      results = runBacktest(rule, parseBacktestCsv(text));
    } catch (err) {
      if (err instanceof BacktestInputError) throw new UsageError(`${input}: ${err.message}`);
      throw err;
    }
    io.out(formatBacktestCsv(results));
    const episodes = results.filter((r) => r.onset).length;
    const firing = results.filter((r) => r.firing).length;
    io.err(`rule ${rule.name} (${rule.kind}): ${results.length} rows, ${episodes} episode(s), firing on ${firing} row(s)\n`);
    return 0;
  },
};
