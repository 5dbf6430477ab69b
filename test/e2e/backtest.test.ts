import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/paths.js';

// The build this test runs from: bin/edgewatch when it is dist/, else the same CLI from the parallel
// build folder (EDGEWATCH_DIST), so the child runs the code under test.
const distRoot = fileURLToPath(new URL('../../', import.meta.url));

function backtest(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return cli(undefined, 'backtest', ...args);
}

function cli(stdin: string | undefined, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const [cmd, argv] =
    basename(distRoot) === 'dist'
      ? [join(repoRoot, 'bin', 'edgewatch'), args]
      : [
          process.execPath,
          [
            '--input-type=module',
            '-e',
            `const { main } = await import(${JSON.stringify(join(distRoot, 'cli', 'main.js'))}); process.exitCode = await main(process.argv.slice(1));`,
            '--',
            ...args,
          ],
        ];
  const r = spawnSync(cmd, argv, { cwd: repoRoot, encoding: 'utf8', timeout: 30_000, ...(stdin === undefined ? {} : { input: stdin }) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const RULES = 'test/fixtures/backtest/rules.yml';
const input = (name: string) => `test/fixtures/backtest/${name}`;

describe('edgewatch backtest', () => {
  it('consecutive on status codes (epoch seconds, header): fires on the 3rd 5xx in a row, once', () => {
    const r = backtest('--rules', RULES, '--rule', 'five-xx', '--input', input('status.csv'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        'timestamp,value,firing,onset,score',
        '1767225600,200,0,0,0',
        '1767225601,500,0,0,0',
        '1767225602,502,0,0,0',
        '1767225603,503,1,1,1',
        '1767225604,504,1,0,1',
        '1767225605,200,0,0,0',
        '1767225606,500,0,0,0',
        '1767225607,500,0,0,0',
        '1767225608,404,0,0,0',
        '1767225609,500,0,0,0',
        '',
      ].join('\n'),
    );
    assert.equal(r.stderr, 'rule five-xx (consecutive): 10 rows, 1 episode(s), firing on 2 row(s)\n');
  });

  it('baseline on latency (RFC 3339, no header): one slow sample passes for: 20s, a sustained 5x fires', () => {
    const r = backtest('--rules', RULES, '--rule', 'latency', '--input', input('latency.csv'));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 26);
    assert.deepEqual(
      lines.filter((l) => !l.endsWith(',0,0,0')),
      ['timestamp,value,firing,onset,score', '2026-01-01T12:03:00Z,97,1,1,1', '2026-01-01T12:03:10Z,99,1,0,1'],
    );
    assert.ok(lines.includes('2026-01-01T12:01:40Z,200,0,0,0'), 'the single 10x sample');
  });

  it('absence on heartbeats (epoch ms): 0 rows are silence, the lease runs on the rows\' timestamps', () => {
    const r = backtest('--rules', RULES, '--rule', 'offline', '--input', input('heartbeat.csv'));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').slice(1).map((l) => l.split(',').slice(2, 4).join('')), ['00', '00', '00', '00', '00', '11', '10', '00', '00']);
  });

  it('reads the input from stdin with --input -, and is listed in edgewatch --help', () => {
    const r = cli('1767225600,1\n1767225640,0\n', 'backtest', '--rules', RULES, '--rule', 'offline', '--input', '-');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'timestamp,value,firing,onset,score\n1767225600,1,0,0,0\n1767225640,0,1,1,1\n');
    assert.match(cli(undefined, '--help').stdout, /^ {2}backtest +replay a recorded series/m);
  });

  it('several inputs in one run (a file column), zone-less timestamps in --tz, rows out of order counted, --plot per input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ew-backtest-'));
    try {
      const series = (spikeAt: number) =>
        ['timestamp,value', ...Array.from({ length: 300 }, (_, i) => `2014-04-0${1 + Math.floor(i / 144)} ${String(Math.floor((i % 144) / 6)).padStart(2, '0')}:${String((i % 6) * 10).padStart(2, '0')}:00,${i === spikeAt ? 160 : 100 + (i % 5)}`)].join('\n');
      writeFileSync(join(dir, 'a.csv'), series(200));
      // b.csv repeats a row's time (a clock going back), out of order
      writeFileSync(join(dir, 'b.csv'), series(250).replace('2014-04-01 05:00:00,', '2014-04-01 04:00:00,'));
      const windows = join(dir, 'windows.csv');
      writeFileSync(windows, 'start,end\n2014-04-02 06:00:00,2014-04-02 12:00:00\n');
      const svg = join(dir, 'plot.svg');
      const r = backtest('--rules', 'examples/rules/anomaly.yml', '--rule', 'anomaly', '--input', join(dir, 'a.csv'), '--input', join(dir, 'b.csv'), '--tz', 'America/New_York', '--plot', svg, '--windows', windows);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0], 'file,timestamp,value,firing,onset,score');
      assert.equal(lines.length, 1 + 600);
      const onsets = lines.filter((l) => l.split(',')[4] === '1').map((l) => l.split(',').slice(0, 3).join(','));
      assert.deepEqual(onsets, [`${join(dir, 'a.csv')},2014-04-02 09:20:00,160`, `${join(dir, 'b.csv')},2014-04-02 17:40:00,160`]);
      assert.match(r.stderr, /b\.csv: rule anomaly \(robust-baseline\): 300 rows, 1 episode\(s\), firing on \d+ row\(s\), 1 row\(s\) earlier than a row before them \(first on line 32\)/);
      for (const name of ['plot-a.svg', 'plot-b.svg']) assert.match(readFileSync(join(dir, name), 'utf8'), /<title>labelled window<\/title>/);
      const zone = backtest('--rules', 'examples/rules/anomaly.yml', '--rule', 'anomaly', '--input', join(dir, 'a.csv'), '--tz', 'Mars/Olympus');
      assert.equal(zone.code, 2);
      assert.match(zone.stderr, /--tz: unknown time zone "Mars\/Olympus"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the example in --help is what the default rule file does', () => {
    const help = backtest('--help');
    const r = backtest('--rules', 'alerts/collector-rules.yml', '--rule', 'consecutive-5xx', '--input', input('status-5xx.csv'));
    assert.equal(r.code, 0, r.stderr);
    for (const row of r.stdout.trim().split('\n')) assert.match(help.stdout, new RegExp(`^  ${row}( |$)`, 'm'), row);
    assert.match(help.stdout, /promtool test rules/);
  });

  it('exits 2 naming the problem: unknown rule (listing the names), missing columns, bad timestamp, missing option', () => {
    const unknown = backtest('--rules', RULES, '--rule', 'latncy', '--input', input('latency.csv'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no rule named "latncy" in test\/fixtures\/backtest\/rules\.yml; the rules there are: five-xx, latency, offline/);
    const columns = backtest('--rules', RULES, '--rule', 'latency', '--input', input('bad-columns.csv'));
    assert.equal(columns.code, 2);
    assert.match(columns.stderr, /bad-columns\.csv: line 1: the header \(time,latency\) has no "timestamp" and "value" columns/);
    const time = backtest('--rules', RULES, '--rule', 'latency', '--input', input('bad-timestamp.csv'));
    assert.equal(time.code, 2);
    assert.match(time.stderr, /bad-timestamp\.csv: line 3: cannot parse timestamp "2026-13-45 25:00"/);
    const missing = backtest('--rules', RULES, '--rule', 'latency');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--input is required\nRun 'edgewatch backtest --help'/);
    const badRules = backtest('--rules', 'test/fixtures/rules/bad-kind.yaml', '--rule', 'spikes', '--input', input('latency.csv'));
    assert.equal(badRules.code, 2);
    assert.match(badRules.stderr, /rules\[0\] \(spikes\)\.kind: must be one of/);
    for (const r of [unknown, columns, time, missing, badRules]) assert.equal(r.stdout, '', 'nothing on stdout');
  });
});
