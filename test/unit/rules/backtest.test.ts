import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BacktestInputError, formatBacktestCsv, parseBacktestCsv, parseTimestamp, runBacktest } from '../../../common/rules/backtest.js';
import { loadRules } from '../../../common/rules/rule-file.js';

function replay(rulesYaml: string, csv: string): string {
  return formatBacktestCsv(runBacktest(loadRules(rulesYaml)[0]!, parseBacktestCsv(csv)));
}

/** The firing and onset columns only, one "firing/onset" pair per row. */
function flags(out: string): string[] {
  return out
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').slice(2).join('/'));
}

describe('backtest', () => {
  it('reads RFC 3339 and epoch seconds or milliseconds', () => {
    assert.equal(parseTimestamp('2026-01-01T00:00:01Z'), Date.UTC(2026, 0, 1, 0, 0, 1));
    assert.equal(parseTimestamp('2026-01-01T02:00:01.5+02:00'), Date.UTC(2026, 0, 1, 0, 0, 1, 500));
    assert.equal(parseTimestamp('1767225601'), Date.UTC(2026, 0, 1, 0, 0, 1));
    assert.equal(parseTimestamp('1767225601.25'), Date.UTC(2026, 0, 1, 0, 0, 1, 250));
    assert.equal(parseTimestamp('1767225601000'), Date.UTC(2026, 0, 1, 0, 0, 1));
    for (const bad of ['yesterday', '2026-01-01', '2026-01-01T00:00:01', '01/01/2026 00:00']) assert.equal(parseTimestamp(bad), undefined, bad);
  });

  it('takes the columns from a header in any order, or the first two without one', () => {
    const withHeader = parseBacktestCsv('host,value,timestamp\nx,5,1767225600\n');
    assert.deepEqual(withHeader.map((r) => [r.timestampText, r.value]), [['1767225600', 5]]);
    const bare = parseBacktestCsv('\n# comment\n1767225600,5\r\n1767225601,6\n');
    assert.deepEqual(bare.map((r) => [r.line, r.value]), [[3, 5], [4, 6]]);
  });

  const bad: Array<[string, RegExp]> = [
    ['time,latency\n1,2\n', /^line 1: the header \(time,latency\) has no "timestamp" and "value" columns/],
    ['timestamp,latency\n1,2\n', /^line 1: the header \(timestamp,latency\) has no "value" column;/],
    ['timestamp,value\n1767225600,1\nnoon,2\n', /^line 3: cannot parse timestamp "noon": use RFC 3339/],
    ['1767225600,1\n1767225601\n', /^line 2: expected timestamp,value, got "1767225601"/],
    ['1767225600,fast\n', /^line 1: value "fast" is not a number/],
    ['1767225601,1\n1767225600,1\n', /^line 2: timestamp 1767225600 is earlier than the row before \(1767225601\); sort the rows by time/],
    ['timestamp,value\n', /^no rows/],
  ];
  for (const [csv, message] of bad) {
    it(`refuses ${JSON.stringify(csv.split('\n')[0])}... naming the line and the problem`, () => {
      assert.throws(() => parseBacktestCsv(csv), (err: unknown) => err instanceof BacktestInputError && message.test(err.message));
    });
  }

  it('honours for: on the rows\' own timeline, marking the onset once per episode', () => {
    const rules = 'rules: [{name: r, kind: consecutive, match: {status: ">=500"}, count: 2, for: 15s}]';
    const csv = ['0,500', '10,500', '20,500', '30,500', '40,200', '50,500', '60,500', '70,500', '80,500'].join('\n');
    // Condition from 10 s: firing at 25 s or later, so on the 30 s row; again from 60 s, so on the 80 s row.
    assert.deepEqual(flags(replay(rules, csv)), ['0/0', '0/0', '0/0', '1/1', '0/0', '0/0', '0/0', '0/0', '1/1']);
  });

  it('maps a value to the signal each kind reads', () => {
    const series = ['0,1', '10,0', '20,0', '30,0', '40,0', '50,1'].join('\n');
    assert.deepEqual(flags(replay('rules: [{name: r, kind: absence, lease: 30s}]', series)), ['0/0', '0/0', '0/0', '1/1', '1/0', '0/0'], 'absence: 0 is silence');
    assert.deepEqual(flags(replay('rules: [{name: r, kind: pattern, match: {msg: x}, keepFiringFor: 15s}]', series)), ['1/1', '1/0', '0/0', '0/0', '0/0', '1/1'], 'pattern: non-zero is a matching line');
    assert.deepEqual(flags(replay('rules: [{name: r, kind: crashloop, count: 3, window: 1m}]', ['0,1', '10,2', '70,0'].join('\n'))), ['0/0', '1/1', '0/0'], 'crashloop: the value is a number of restarts');
    assert.deepEqual(flags(replay('rules: [{name: r, kind: alert, match: {alertname: X}}]', series)), ['1/1', '0/0', '0/0', '0/0', '0/0', '1/1'], 'alert: non-zero is firing');
    assert.deepEqual(flags(replay('rules: [{name: r, kind: count, match: {level: error, task: api}, count: 2, window: 1m}]', series)), ['0/0', '0/0', '0/0', '0/0', '0/0', '1/1'], 'count without a numeric matcher: non-zero is a match, in the task it names');
  });
});
