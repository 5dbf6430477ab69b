import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BacktestInputError, formatBacktestCsv, parseBacktestCsv, parseTimestamp, renderPlot, runBacktest, zoneResolver } from '../../../common/rules/backtest.js';
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
    .map((l) => l.split(',').slice(2, 4).join('/'));
}

describe('backtest', () => {
  it('reads RFC 3339 and epoch seconds or milliseconds', () => {
    assert.equal(parseTimestamp('2026-01-01T00:00:01Z'), Date.UTC(2026, 0, 1, 0, 0, 1));
    assert.equal(parseTimestamp('2026-01-01T02:00:01.5+02:00'), Date.UTC(2026, 0, 1, 0, 0, 1, 500));
    assert.equal(parseTimestamp('1767225601'), Date.UTC(2026, 0, 1, 0, 0, 1));
    assert.equal(parseTimestamp('1767225601.25'), Date.UTC(2026, 0, 1, 0, 0, 1, 250));
    assert.equal(parseTimestamp('1767225601000'), Date.UTC(2026, 0, 1, 0, 0, 1));
    assert.equal(parseTimestamp('2026-01-01T02:00:01+0200'), Date.UTC(2026, 0, 1, 0, 0, 1));
    for (const bad of ['yesterday', '2026-01-01', '01/01/2026 00:00', '2026-02-30 00:00:00', '2026-01-01T25:00:00Z', '2026-01-01T00:00:01Zulu']) {
      assert.equal(parseTimestamp(bad), undefined, bad);
    }
  });

  it('reads timestamps without a zone as UTC, or in the zone it is given (a repeated hour reads as the first)', () => {
    assert.equal(parseTimestamp('2014-04-01 00:00:00'), Date.UTC(2014, 3, 1));
    assert.equal(parseTimestamp('2026-01-01T00:00:01'), Date.UTC(2026, 0, 1, 0, 0, 1));
    const berlin = zoneResolver('Europe/Berlin');
    assert.equal(parseTimestamp('2026-01-01 12:00:00', berlin), Date.UTC(2026, 0, 1, 11), 'CET is UTC+1');
    assert.equal(parseTimestamp('2026-07-01 12:00:00', berlin), Date.UTC(2026, 6, 1, 10), 'CEST is UTC+2');
    assert.equal(parseTimestamp('2026-07-01T12:00:00Z', berlin), Date.UTC(2026, 6, 1, 12), 'a zone given wins');
    assert.throws(() => zoneResolver('Mars/Olympus'), RangeError);
  });

  it('replays rows earlier than a row before them at the latest time so far, and counts them', () => {
    const series = parseBacktestCsv('timestamp,value\n2014-04-01 01:00:00,1\n2014-04-01 01:30:00,2\n2014-04-01 01:00:00,3\n2014-04-01 02:00:00,4\n');
    assert.deepEqual(series.rows.map((r) => (r.at - Date.UTC(2014, 3, 1)) / 60_000), [60, 90, 90, 120]);
    assert.deepEqual([series.reordered, series.firstReorderedLine], [1, 4]);
    assert.equal(series.rows[2]!.timestampText, '2014-04-01 01:00:00', 'the text is echoed as given');
  });

  it('adds a score column: the detector\'s for robust-baseline, firing as 0 or 1 for other kinds', () => {
    const rows = Array.from({ length: 300 }, (_, i) => `${1_700_000_000 + i * 60},${i === 250 ? 130 : 100 + (i % 7) - 3}`);
    const out = replay('rules: [{name: a, kind: robust-baseline}]', rows.join('\n')).trim().split('\n');
    assert.equal(out[0], 'timestamp,value,firing,onset,score');
    const cells = out[251]!.split(',');
    assert.deepEqual(cells.slice(1, 4), ['130', '1', '1']);
    assert.ok(Number(cells[4]) >= 0.998 && Number(cells[4]) <= 1, cells[4]);
    assert.ok(out.slice(1, 250).every((l) => l.split(',')[3] === '0'), 'no onset before the spike');
    const plain = replay('rules: [{name: r, kind: pattern, match: {msg: x}, keepFiringFor: 15s}]', '0,1\n10,0\n30,0');
    assert.deepEqual(plain.trim().split('\n').map((l) => l.split(',')[4]), ['score', '1', '1', '0']);
  });

  it('plots the series, the expected band, the onsets and labelled windows as SVG', () => {
    const csv = Array.from({ length: 3000 }, (_, i) => `${1_700_000_000 + i * 60},${i === 2000 ? 150 : 100 + ((i * 37) % 11) - 5}`).join('\n');
    const run = runBacktest(loadRules('rules: [{name: a, kind: robust-baseline}]')[0]!, parseBacktestCsv(csv));
    const svg = renderPlot(run, { windows: [[(1_700_000_000 + 1900 * 60) * 1000, (1_700_000_000 + 2100 * 60) * 1000]] });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal(svg.match(/<circle /g)?.length, run.episodes);
    assert.ok(run.episodes >= 1);
    assert.match(svg, /<polygon points="[^"]+"[^>]*><title>expected ± 3 spreads<\/title>/);
    assert.match(svg, /<title>labelled window<\/title>/);
    const points = svg.match(/<polyline points="([^"]+)"/)![1]!.split(' ').length;
    assert.ok(points <= 2 * 1120, `at most two points per pixel column, got ${points}`);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
  });

  it('takes the columns from a header in any order, or the first two without one', () => {
    const withHeader = parseBacktestCsv('host,value,timestamp\nx,5,1767225600\n');
    assert.deepEqual(withHeader.rows.map((r) => [r.timestampText, r.value]), [['1767225600', 5]]);
    const bare = parseBacktestCsv('\n# comment\n1767225600,5\r\n1767225601,6\n');
    assert.deepEqual(bare.rows.map((r) => [r.line, r.value]), [[3, 5], [4, 6]]);
  });

  const bad: Array<[string, RegExp]> = [
    ['time,latency\n1,2\n', /^line 1: the header \(time,latency\) has no "timestamp" and "value" columns/],
    ['timestamp,latency\n1,2\n', /^line 1: the header \(timestamp,latency\) has no "value" column;/],
    ['timestamp,value\n1767225600,1\nnoon,2\n', /^line 3: cannot parse timestamp "noon": use RFC 3339/],
    ['1767225600,1\n1767225601\n', /^line 2: expected timestamp,value, got "1767225601"/],
    ['1767225600,fast\n', /^line 1: value "fast" is not a number/],
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
