/**
 * `npm run bench -- rules [--events N] [--keys N] [--passes N]`: events per second through the collector's
 * rule engine with the default rule file, over a fleet-like stream (1,000 node/task keys, ~1% 5xx,
 * latencies around 20 ms, heartbeats, a few restarts and two injected incidents), beside a baseline in
 * the same run: a loop that only reads the fields the rules read from the same events.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { RuleEngine } from '../common/rules/rule-engine.js';
import { loadRulesFile } from '../common/rules/rule-file.js';
import type { LogSignal, Signal } from '../common/rules/signals.js';
import { bestOf } from './support/timing.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const T0 = Date.UTC(2026, 0, 1);
/** Simulated time the stream covers: long enough for the latency rule to warm up (200 samples, 10 min). */
const SPAN_MS = 20 * 60_000;

function log(msg: string): void {
  process.stdout.write(`${msg}\n`);
}

/** A small deterministic PRNG (mulberry32), so every run replays the same stream. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MESSAGES = ['GET /items', 'POST /orders', 'GET /health', 'PUT /items/7'];

/** The stream: log events in time order, with heartbeats every 10 s per node and a few restarts. */
function buildStream(events: number, keys: number): Signal[] {
  const random = rng(42);
  const nodes = Math.max(1, Math.round(Math.sqrt(keys)));
  const traceIds = Array.from({ length: 4096 }, (_, i) => i.toString(16).padStart(32, '0'));
  const out: Signal[] = [];
  let nextBeat = T0;
  for (let i = 0; i < events; i++) {
    const at = T0 + Math.floor((i / events) * SPAN_MS);
    while (nextBeat <= at) {
      for (let n = 0; n < nodes; n++) out.push({ kind: 'heartbeat', at: nextBeat, node: `edge-${n}` });
      nextBeat += 10_000;
    }
    const k = Math.floor(random() * keys);
    const node = `edge-${k % nodes}`;
    const task = `task-${Math.floor(k / nodes)}`;
    // Incidents: one task answers only 5xx for a minute; another gets 6x slower for the last 5 minutes.
    const broken = k === 7 && at > T0 + 8 * 60_000 && at < T0 + 9 * 60_000;
    const slow = k === 42 && at > T0 + 15 * 60_000 ? 6 : 1;
    const status = broken || random() < 0.01 ? 500 + Math.floor(random() * 4) : 200;
    const duration = slow * 20 * Math.exp((random() - 0.5) * 0.6);
    const e: LogSignal = {
      kind: 'log',
      at,
      node,
      task,
      level: status >= 500 ? 'error' : 'info',
      msg: MESSAGES[i & 3]!,
      status,
      duration_ms: Math.round(duration * 10) / 10,
      trace_id: traceIds[i & 4095]!,
    };
    out.push(e);
    if (random() < 1e-4) out.push({ kind: 'restart', at, node, task, reason: 'Error' });
  }
  return out;
}

/** The floor: the same loop over the same events, reading the fields the rules read, and nothing else. */
function readFields(stream: Signal[]): number {
  let sum = 0;
  for (const s of stream) {
    if (s.kind === 'log') sum += (s.status ?? 0) + (s.duration_ms ?? 0) + s.msg.length + s.level.length + (s.node?.length ?? 0) + (s.task?.length ?? 0);
    else sum += s.at & 1;
  }
  return sum;
}

/** A second floor: the least any per-key rule costs, one counter per node/task in a Map. */
function countPerKey(stream: Signal[]): number {
  const counts = new Map<string, number>();
  for (const s of stream) {
    if (s.kind !== 'log') continue;
    const key = `${s.node}/${s.task}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts.size;
}

/** One pass of the stream through a fresh engine, ticking once per simulated second. */
function runEngine(stream: Signal[], rulesFile: string): { ms: number; transitions: number; engine: RuleEngine } {
  const engine = new RuleEngine(loadRulesFile(rulesFile));
  let transitions = 0;
  let nextTick = T0 + 1000;
  const t0 = performance.now();
  for (const s of stream) {
    if (s.at >= nextTick) {
      transitions += engine.tick(nextTick).length;
      nextTick += 1000;
    }
    transitions += engine.observe(s).length;
  }
  return { ms: performance.now() - t0, transitions, engine };
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { events: { type: 'string' }, keys: { type: 'string' }, passes: { type: 'string' } } });
  const events = Number(values.events ?? 2_000_000);
  const keys = Number(values.keys ?? 1000);
  const passes = Number(values.passes ?? 3);
  const rulesFile = join(root, 'alerts', 'collector-rules.yml');

  log(`rules bench: ${events} log events over ${keys} node/task keys (${SPAN_MS / 60_000} simulated minutes), default rules (${rulesFile})`);
  const stream = buildStream(events, keys);
  log(`built ${stream.length} signals (log events, heartbeats every 10 s per node, restarts)`);

  let checksum = 0;
  const floorMs = bestOf(passes, () => (checksum += readFields(stream)));
  const floor = stream.length / (floorMs / 1000);
  log(`baseline 1: reading the fields the rules read, in a loop: ${Math.round(floor)} signals/s (checksum ${Math.round(checksum) % 1000})`);
  const perKey = stream.length / (bestOf(passes, () => countPerKey(stream)) / 1000);
  log(`baseline 2: one counter per node/task key in a Map: ${Math.round(perKey)} signals/s`);

  let best: ReturnType<typeof runEngine> | undefined;
  for (let p = 0; p < passes; p++) {
    const run = runEngine(stream, rulesFile);
    log(`pass ${p + 1}/${passes}: ${Math.round(stream.length / (run.ms / 1000))} signals/s, ${run.transitions} transitions`);
    if (!best || run.ms < best.ms) best = run;
  }
  const { ms, transitions, engine } = best!;
  const stats = engine.stats();
  const fired = new Set(engine.active().map((t) => t.rule));
  log(`rules: ${stats.rules.map((r) => `${r.rule} keys=${r.keys} firing=${r.firing} evicted=${r.evicted}`).join('; ')}`);
  if (transitions === 0) throw new Error('the injected incidents caused no transition: the engine is not evaluating');
  const eventsPerSec = stream.length / (ms / 1000);
  log(
    JSON.stringify({
      bench: 'rules',
      signals: stream.length,
      keys,
      rules: stats.rules.length,
      eventsPerSec: Math.round(eventsPerSec),
      nsPerEvent: Math.round((ms * 1e6) / stream.length),
      baselineEventsPerSec: Math.round(floor),
      perKeyBaselineEventsPerSec: Math.round(perKey),
      ratio: Number((eventsPerSec / floor).toFixed(3)),
      ratioToPerKey: Number((eventsPerSec / perKey).toFixed(3)),
      target: 200_000,
      transitions,
      firingAtEnd: [...fired].sort(),
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    }),
  );
}
