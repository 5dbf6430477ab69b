import { join } from 'node:path';
import { loadCollectorConfig } from '../collector/config.js';
import { startCollector, type RunningCollector } from '../collector/main.js';
import { silentLogger } from '../common/logger.js';
import { emit, endSender, sender } from '../test/support/collector-harness.js';
import { addNode } from '../test/support/node-identity.js';
import { tempDir } from '../test/support/paths.js';
import { seedTokens } from '../test/support/secure-collector.js';
import { percentile } from './support/proc.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const ROUNDS = 3;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_RECORDS = 50;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** A collector on ephemeral ports; with `tokens`, the API requires them (otherwise it is the open loopback API). */
async function collector(dir: string, tokens: boolean): Promise<{ c: RunningCollector; token?: string }> {
  const config = loadCollectorConfig(
    [
      'http: {listen: "127.0.0.1:0", limits: {commandsPerMinute: 1000000, commandsBurst: 1000000}}',
      'forward: {listen: "127.0.0.1:0"}',
      'mqtt: {embedded: {listen: "127.0.0.1:0"}}',
      `store: {path: ${JSON.stringify(join(dir, 'collector.db'))}}`,
    ].join('\n'),
  );
  const token = tokens ? seedTokens(config.paths.state).operator : undefined;
  const c = await startCollector(config, { logger: silentLogger });
  // the records come from node edge-1, logged in with its node credentials as an exporter does
  const node = addNode(config, 'edge-1');
  const security = { clientHostname: node.name, sharedKey: node.sharedKey, username: node.name, password: node.password };
  const s = sender('edgewatch.edge-1', c.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, security });
  for (let i = 0; i < TRACE_RECORDS; i++) await emit(s, 'web', { node: 'edge-1', task: 'web', level: 'info', msg: `step ${i}`, trace_id: TRACE, status: 200, duration_ms: i });
  endSender(s);
  return { c, ...(token ? { token } : {}) };
}

/** Sequential requests (fetch keeps the connection alive): p50 and p99 latency (ms) and requests/s. */
async function measure(url: string, init: (i: number) => RequestInit): Promise<{ p50: number; p99: number; perSec: number }> {
  const times: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url, init(i));
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`${url}: ${res.status}`);
    times.push(performance.now() - t);
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), perSec: REQUESTS / ((performance.now() - t0) / 1000) };
}

/**
 * `npm run bench -- api`: what authentication costs. The same requests (GET /api/traces/{id} of a
 * 50-record trace; POST /api/commands, signed and published) against two collectors in this process: the
 * open loopback API (no credentials) and one that checks a bearer token and role on every request.
 */
export async function main(): Promise<void> {
  const tmp = tempDir('edgewatch-bench-api-');
  try {
    const open = await collector(join(tmp.dir, 'open'), false);
    const authed = await collector(join(tmp.dir, 'authed'), true);
    const targets = [
      { name: 'open', c: open.c, headers: {} as Record<string, string> },
      { name: 'token', c: authed.c, headers: { authorization: `Bearer ${authed.token}` } },
    ];
    log(`api bench: ${REQUESTS} sequential requests per round, ${ROUNDS} rounds, open API vs bearer token (best round of each)`);
    const best: Record<string, Record<string, { p50: number; p99: number; perSec: number }>> = { open: {}, token: {} };
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of targets) {
        const base = `http://127.0.0.1:${t.c.httpPort}`;
        const trace = await measure(`${base}/api/traces/${TRACE}`, () => ({ headers: t.headers }));
        const command = await measure(
          `${base}/api/commands`,
          () => ({ method: 'POST', headers: { ...t.headers, 'content-type': 'application/json' }, body: JSON.stringify({ node: 'edge-1', task: 'web', type: 'restart', wait: false }) }),
        );
        log(`  round ${round + 1} ${t.name}: traces p50 ${trace.p50.toFixed(3)} ms (${trace.perSec.toFixed(0)}/s), commands p50 ${command.p50.toFixed(3)} ms (${command.perSec.toFixed(0)}/s)`);
        for (const [k, v] of [['traces', trace], ['commands', command]] as const) if (!best[t.name]![k] || v.perSec > best[t.name]![k]!.perSec) best[t.name]![k] = v;
      }
    }
    for (const t of targets) await t.c.stop();
    const ratio = (k: string) => Number((best.token![k]!.perSec / best.open![k]!.perSec).toFixed(3));
    const round3 = (v: { p50: number; p99: number; perSec: number }) => ({ p50Ms: Number(v.p50.toFixed(3)), p99Ms: Number(v.p99.toFixed(3)), perSec: Math.round(v.perSec) });
    log(
      JSON.stringify({
        bench: 'api',
        requests: REQUESTS,
        traceRecords: TRACE_RECORDS,
        tracesWithToken: round3(best.token!.traces!),
        tracesOpen: round3(best.open!.traces!),
        tracesRatio: ratio('traces'),
        commandsWithToken: round3(best.token!.commands!),
        commandsOpen: round3(best.open!.commands!),
        commandsRatio: ratio('commands'),
        target: 0.9,
      }),
    );
  } finally {
    tmp.cleanup();
  }
}
