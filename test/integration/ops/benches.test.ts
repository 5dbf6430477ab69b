// Every benchmark still runs: each `npm run bench -- NAME` at a small size, as a process, must finish
// and print its JSON figures line. The figures themselves are not judged here (bench/ is where timing
// goals live); what this catches is a bench broken by a change elsewhere (a new login, a new record in
// the store), which would otherwise be found only by the next person who measures.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../support/paths.js';

/** Runs one bench to its end; resolves with its output, or rejects with the tail of it. */
function runBench(name: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bench/run.mjs'), name, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`bench ${name} ended with ${signal ?? `exit code ${code}`}:\n${out.split('\n').slice(-25).join('\n')}`));
    });
  });
}

/** The JSON figures line a bench ends with. */
function figures(out: string, name: string): Record<string, unknown> {
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{') && l.includes(`"bench":"${name}"`));
  assert.ok(line, `bench ${name} printed no figures line:\n${out.slice(-2000)}`);
  return JSON.parse(line) as Record<string, unknown>;
}

const SMALL: Array<{ name: string; args?: string[]; env?: Record<string, string>; has: string[] }> = [
  { name: 'ingest', args: ['--stores', 'sqlite,postgres'], env: { BENCH_RECORDS: '20000', BENCH_CHUNK: '1000' }, has: [] },
  { name: 'rules', args: ['--events', '20000', '--keys', '50', '--passes', '1'], has: ['eventsPerSec'] },
  { name: 'backtest', args: ['--rows', '20000', '--passes', '1'], has: [] },
  { name: 'api', env: { BENCH_REQUESTS: '40' }, has: ['tracesRatio', 'commandsRatio'] },
  { name: 'link', args: ['--commands', '30', '--records', '5000'], has: ['commandP50Ms', 'shippingRecordsPerSec'] },
  { name: 'fault', args: ['--faults', '3'], has: ['p50Ms', 'edgeP50Ms'] },
  { name: 'exporter', args: ['--seconds', '2', '--warmup', '1', '--tasks', '5', '--rate', '20'], has: ['rssMB', 'cpuPercentOfCore'] },
  { name: 'fleet', args: ['--nodes', '20', '--seconds', '20', '--sims', '1', '--stores', 'sqlite'], has: [] },
  { name: 'console', env: { BENCH_INCIDENTS: '200', BENCH_TRACE_RECORDS: '200', BENCH_REQUESTS: '3' }, has: [] },
];

describe('every benchmark runs at a small size', { timeout: 600_000 }, () => {
  for (const b of SMALL) {
    it(`npm run bench -- ${b.name} ${(b.args ?? []).join(' ')}`.trim(), async () => {
      const f = figures(await runBench(b.name, b.args ?? [], b.env), b.name);
      for (const key of b.has) assert.equal(typeof f[key], 'number', `${b.name}: ${key} is ${JSON.stringify(f[key])}`);
    });
  }
});
