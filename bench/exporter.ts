/**
 * `npm run bench -- exporter [--seconds N] [--tasks N] [--rate N]`: the edge exporter under load.
 * 50 tasks each print 100 JSON lines/s; the exporter runs as its own process (the CLI), and is measured
 * beside baselines taken in the same run: bare Node, Node with the exporter's dependencies loaded, and a
 * bare prom-client Registry holding the same series as the exporter's /metrics. Edge rules are on (a
 * pinned file with the default rules scoped `edge`: every line goes through the node's rule engine);
 * `--rules off` measures without them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/support/ports.js';
import { parseExposition, sampleValue } from '../test/support/prom-text.js';
import { bareRegistryLike } from './support/exposition.js';
import { cpuSeconds, MB, percentile, rssBytes, sleep } from './support/proc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const DEPS = ['prom-client', 'express', 'mqtt', 'fluent-logger', 'node-cron', 'yaml', 'zod'];

/** The default rules that can run on a node, scoped edge (docs/edge-autonomy.md). */
const EDGE_RULES = `rules:
  - {name: consecutive-5xx, kind: consecutive, match: {status: ">=500"}, count: 6, action: restart, scope: edge}
  - {name: latency-up-300pct, kind: baseline, field: duration_ms, threshold: 4, currentSamples: 20, warmup: {samples: 200, duration: 10m}, minValue: 50, for: 1m, action: rollback, scope: edge}
  - {name: crash-loop, kind: crashloop, count: 3, window: 5m, action: rollback, scope: edge}
  - {name: error-log-burst, kind: count, match: {level: [error, fatal]}, count: 100, window: 1m, scope: edge}
  - {name: out-of-memory, kind: pattern, match: {msg: "(?i)out of memory|cannot allocate memory|bad_alloc|MemoryError"}, keepFiringFor: 10m, scope: edge}
`;

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

/** Starts a Node process and resolves when it prints "ready"; returns it with its settled RSS. */
async function idleRss(args: string[]): Promise<number> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  await sleep(2000);
  const rss = rssBytes(child.pid!);
  child.kill('SIGKILL');
  return rss;
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  return res.text();
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { seconds: { type: 'string' }, tasks: { type: 'string' }, rate: { type: 'string' }, warmup: { type: 'string' }, rules: { type: 'string' } } });
  const edgeRules = values.rules !== 'off';
  const seconds = Number(values.seconds ?? 30);
  const tasks = Number(values.tasks ?? 50);
  const rate = Number(values.rate ?? 100);
  const warmup = Number(values.warmup ?? 10);

  log('baseline: bare node ...');
  const bareNode = await idleRss(['-e', "console.log('ready'); setInterval(() => {}, 1000)"]);
  log(`  bare node RSS ${(bareNode / MB).toFixed(1)} MB`);
  log(`baseline: node with ${DEPS.join(', ')} loaded ...`);
  const depsNode = await idleRss(['--input-type=module', '-e', `${DEPS.map((d) => `await import('${d}');`).join(' ')} console.log('ready'); setInterval(() => {}, 1000)`]);
  log(`  deps baseline RSS ${(depsNode / MB).toFixed(1)} MB`);

  const dir = mkdtempSync(join(tmpdir(), 'edgewatch-bench-'));
  const port = await freePort();
  const taskYaml = Array.from({ length: tasks }, (_, i) => `  - name: task-${i}\n    command: [${process.execPath}, ${join(root, 'bench/tasks/emitter.js')}]\n    env: {RATE: ${rate}}\n`).join('');
  const cfg = join(dir, 'exporter.yaml');
  writeFileSync(join(dir, 'edge-rules.yml'), EDGE_RULES);
  const rulesYaml = edgeRules ? `rules: {file: ${JSON.stringify(join(dir, 'edge-rules.yml'))}}` : 'rules: {enabled: false}';
  writeFileSync(cfg, `node: bench\nhttp:\n  listen: "127.0.0.1:${port}"\nstate:\n  dir: ${dir}/state\nspool:\n  dir: ${dir}/spool\n${rulesYaml}\ntasks:\n${taskYaml}`);
  log(`exporter: ${tasks} tasks x ${rate} lines/s, edge rules ${edgeRules ? 'on (5 rules)' : 'off'}, warm-up ${warmup} s, measuring ${seconds} s ...`);
  const exporter: ChildProcess = spawn(join(root, 'bin/edgewatch'), ['exporter', '--config', cfg, '--log-level', 'warn'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    const pid = exporter.pid!;
    await sleep(warmup * 1000);

    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const lines0 = totalLines(await scrape(`${url}/metrics`));
    let rssMax = 0;
    const rssSamples: number[] = [];
    const loopMax: number[] = [];
    for (let s = 1; s <= seconds; s++) {
      await sleep(1000);
      const rss = rssBytes(pid);
      rssSamples.push(rss);
      rssMax = Math.max(rssMax, rss);
      if (s % 5 === 0) {
        const text = await scrape(`${url}/metrics`);
        loopMax.push(sampleValue(parseExposition(text), 'nodejs_eventloop_lag_max_seconds') ?? NaN);
        log(`  t=${s}s RSS ${(rss / MB).toFixed(1)} MB, event-loop max ${(loopMax.at(-1)! * 1000).toFixed(1)} ms`);
      }
    }
    const elapsed = (performance.now() - t0) / 1000;
    const cpuPct = ((cpuSeconds(pid) - cpu0) / elapsed) * 100;
    const lastText = await scrape(`${url}/metrics`);
    const linesPerSec = (totalLines(lastText) - lines0) / elapsed;
    log(`  CPU ${cpuPct.toFixed(2)} % of a core, ${linesPerSec.toFixed(0)} lines/s parsed`);

    log('render: 30 scrapes of the exporter beside a bare registry with the same series ...');
    const renders: number[] = [];
    for (let i = 0; i < 31; i++) {
      const text = await scrape(`${url}/metrics`);
      const v = sampleValue(parseExposition(text), 'edgewatch_exporter_metrics_render_seconds');
      if (i > 0 && v !== undefined) renders.push(v * 1000); // the value is the previous scrape's render
      loopMax.push(sampleValue(parseExposition(text), 'nodejs_eventloop_lag_max_seconds') ?? NaN);
    }
    const bare = bareRegistryLike(lastText, () => 0.01 + Math.random() * 0.02);
    const bareRenders: number[] = [];
    for (let i = 0; i < 31; i++) {
      const t = performance.now();
      await bare.metrics();
      if (i > 0) bareRenders.push(performance.now() - t);
    }
    const series = lastText.split('\n').filter((l) => l && !l.startsWith('#')).length;
    const renderP50 = percentile(renders, 50);
    const bareP50 = percentile(bareRenders, 50);
    log(`  exporter render p50 ${renderP50.toFixed(2)} ms, bare registry p50 ${bareP50.toFixed(2)} ms (${series} samples)`);

    const rssAvg = rssSamples.reduce((a, b) => a + b, 0) / rssSamples.length;
    const result = {
      bench: 'exporter',
      tasks,
      edgeRules: edgeRules ? 5 : 0,
      linesPerSecTarget: tasks * rate,
      linesPerSec: Math.round(linesPerSec),
      rssMB: +(rssAvg / MB).toFixed(1),
      rssMaxMB: +(rssMax / MB).toFixed(1),
      baselineBareNodeMB: +(bareNode / MB).toFixed(1),
      baselineDepsMB: +(depsNode / MB).toFixed(1),
      rssOverDepsMB: +((rssMax - depsNode) / MB).toFixed(1),
      cpuPercentOfCore: +cpuPct.toFixed(2),
      renderP50Ms: +renderP50.toFixed(2),
      bareRegistryRenderP50Ms: +bareP50.toFixed(2),
      renderRatio: +(renderP50 / bareP50).toFixed(2),
      exposedSamples: series,
      eventLoopMaxMs: +(Math.max(...loopMax.filter((x) => !Number.isNaN(x))) * 1000).toFixed(1),
      targets: { rssOverDepsMB: 15, rssMaxMB: 100, cpuPercentOfCore: 5, renderRatio: 1.2, eventLoopMaxMs: 50 },
    };
    console.log(JSON.stringify(result));
  } finally {
    exporter.kill('SIGTERM');
    await new Promise((r) => exporter.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

function totalLines(text: string): number {
  return parseExposition(text)
    .filter((s) => s.name === 'edgewatch_task_log_lines_total')
    .reduce((a, s) => a + s.value, 0);
}
