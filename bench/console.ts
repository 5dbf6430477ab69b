import { join } from 'node:path';
import type { RecordView } from '../collector/api/record-view.js';
import { loadCollectorConfig } from '../collector/config.js';
import type { Incident } from '../collector/incidents/incident.js';
import { IncidentStore } from '../collector/incidents/incident-store.js';
import { startCollector } from '../collector/main.js';
import { StateDb } from '../collector/state/state-db.js';
import { silentLogger } from '../common/logger.js';
import { emit, endSender, sender } from '../test/support/collector-harness.js';
import { addNode } from '../test/support/node-identity.js';
import { tempDir } from '../test/support/paths.js';
import { seedTokens } from '../test/support/secure-collector.js';
import { percentile } from './support/proc.js';

const INCIDENTS = Number(process.env.BENCH_INCIDENTS ?? 10_000);
const OPEN = 100;
const TRACE_RECORDS = Number(process.env.BENCH_TRACE_RECORDS ?? 5000);
const EVIDENCE_LINES = 50;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 30);
const ROUNDS = 3;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TARGET_MS = 200;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** An incident as the book keeps it: evidence of 50 log lines, a restart that did not hold, a rollback that did. */
function incident(n: number, now: number): Incident {
  const startedAt = now - (INCIDENTS - n) * 60_000;
  const open = n >= INCIDENTS - OPEN;
  const logs: RecordView[] = Array.from({ length: EVIDENCE_LINES }, (_, k) => {
    const ms = startedAt - (EVIDENCE_LINES - k) * 300;
    return { time: new Date(ms).toISOString(), timeUnixNano: String(BigInt(ms) * 1_000_000n), node: `edge-${n % 50}`, task: 'api', level: k > 43 ? 'error' : 'info', msg: 'GET /api/orders', trace_id: (n * 100 + k).toString(16).padStart(32, '0'), status: k > 43 ? 500 : 200, duration_ms: 12.5, tag: `edgewatch.edge-${n % 50}.api` };
  });
  return {
    id: `inc-${n}`, fingerprint: `fp-${n}`, rule: 'consecutive-5xx', key: `k-${n}`, status: open ? 'remediating' : 'resolved', severity: 'critical',
    labels: { node: `edge-${n % 50}`, task: 'api' }, annotations: { summary: `api on edge-${n % 50} answered 6 requests in a row with a 5xx` },
    startedAt, updatedAt: startedAt + 60_000, ...(open ? {} : { resolvedAt: startedAt + 60_000 }), ladder: ['restart', 'rollback', 'migrate', 'page'], step: 1,
    actions: [
      { type: 'restart', node: `edge-${n % 50}`, task: 'api', commandId: `cmd-${n}-1`, issuedAt: startedAt, result: 'done', finishedAt: startedAt + 150, verified: false },
      { type: 'rollback', node: `edge-${n % 50}`, task: 'api', commandId: `cmd-${n}-2`, issuedAt: startedAt + 30_000, result: 'done', finishedAt: startedAt + 30_400, ...(open ? {} : { verified: true }) },
    ],
    traceId: TRACE, evidence: { traceIds: [logs.at(-1)!.trace_id as string], logs, windowStart: startedAt - 300_000, windowEnd: startedAt, value: 6 }, ruleFiring: open,
  };
}

/** Sequential GETs: p50, p95 and the slowest (ms), and the body size. */
async function measure(url: string, headers: Record<string, string>): Promise<{ p50: number; p95: number; max: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < REQUESTS; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers, redirect: 'manual' });
    const body = await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    times.push(performance.now() - t);
    bytes = body.byteLength;
  }
  return { p50: percentile(times, 50), p95: percentile(times, 95), max: Math.max(...times), bytes };
}

/**
 * `npm run bench -- console`: server-side render time of the console's pages with 10,000 incidents kept
 * and a 5,000-record trace, each beside the JSON API answering for the same data in the same run (the
 * baseline): the incidents list (first page of 50) against GET /api/incidents?limit=50, an incident page
 * (50 evidence lines, two steps) against GET /api/incidents/{id}, the trace waterfall against
 * GET /api/traces/{id}. Times are whole requests over loopback, authentication included.
 */
export async function main(): Promise<void> {
  const tmp = tempDir('edgewatch-bench-console-');
  try {
    const config = loadCollectorConfig(['http: {listen: "127.0.0.1:0"}', 'forward: {listen: "127.0.0.1:0"}', 'mqtt: {embedded: {listen: "127.0.0.1:0"}}', `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`].join('\n'));
    const token = seedTokens(config.paths.state).viewer;
    log(`console bench: writing ${INCIDENTS} incidents (${OPEN} open, ${EVIDENCE_LINES} evidence lines each)`);
    const now = Date.now();
    const state = new StateDb(config.paths.state);
    const store = new IncidentStore(state);
    state.db.transaction(() => {
      for (let n = 0; n < INCIDENTS; n++) store.save(incident(n, now));
    })();
    state.close();
    const node = addNode(config, 'edge-1');
    const c = await startCollector(config, { logger: silentLogger });
    try {
      log(`console bench: shipping a ${TRACE_RECORDS}-record trace from edge-1`);
      const s = sender('edgewatch.edge-1', c.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, security: { clientHostname: 'edge-1', sharedKey: node.sharedKey, username: 'edge-1', password: node.password } });
      await Promise.all(Array.from({ length: TRACE_RECORDS }, (_, i) => emit(s, ['api', 'loadgen', 'db'][i % 3]!, { level: i % 97 === 0 ? 'error' : 'info', msg: `GET /api/orders/${i}`, trace_id: TRACE, span_id: i.toString(16).padStart(16, '0'), status: i % 97 === 0 ? 500 : 200, duration_ms: (i % 40) + 1, attrs: { method: 'GET', path: `/api/orders/${i}` } })));
      endSender(s);
      const base = `http://127.0.0.1:${c.httpPort}`;
      const signin = await fetch(`${base}/signin`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }).toString() });
      const cookie = signin.headers.get('set-cookie')!.split(';')[0]!;
      const pairs = [
        { name: 'incidentsPage', page: '/incidents', api: '/api/incidents?limit=50' },
        { name: 'incidentPage', page: `/incidents/inc-${INCIDENTS - 1}`, api: `/api/incidents/inc-${INCIDENTS - 1}` },
        { name: 'tracePage', page: `/traces/${TRACE}`, api: `/api/traces/${TRACE}` },
      ];
      const best: Record<string, { page: Awaited<ReturnType<typeof measure>>; api: Awaited<ReturnType<typeof measure>> }> = {};
      log(`console bench: ${REQUESTS} sequential requests per page per round, ${ROUNDS} rounds (best round of each)`);
      for (let round = 1; round <= ROUNDS; round++) {
        for (const p of pairs) {
          const page = await measure(base + p.page, { cookie });
          const api = await measure(base + p.api, { authorization: `Bearer ${token}` });
          log(`  round ${round} ${p.name}: page p50 ${page.p50.toFixed(1)} ms p95 ${page.p95.toFixed(1)} ms (${(page.bytes / 1024).toFixed(0)} KiB); JSON API p50 ${api.p50.toFixed(1)} ms p95 ${api.p95.toFixed(1)} ms (${(api.bytes / 1024).toFixed(0)} KiB)`);
          const b = best[p.name];
          best[p.name] = { page: !b || page.p95 < b.page.p95 ? page : b.page, api: !b || api.p95 < b.api.p95 ? api : b.api };
        }
      }
      const figures = Object.fromEntries(
        Object.entries(best).map(([name, { page, api }]) => [
          name,
          { pageP50Ms: Number(page.p50.toFixed(1)), pageP95Ms: Number(page.p95.toFixed(1)), pageKiB: Math.round(page.bytes / 1024), apiP50Ms: Number(api.p50.toFixed(1)), apiP95Ms: Number(api.p95.toFixed(1)), apiKiB: Math.round(api.bytes / 1024), ratioP50: Number((page.p50 / api.p50).toFixed(2)) },
        ]),
      );
      const worst = Math.max(...Object.values(best).map((b) => b.page.p95));
      log(JSON.stringify({ bench: 'console', incidentsKept: INCIDENTS, traceRecords: TRACE_RECORDS, ...figures, worstPageP95Ms: Number(worst.toFixed(1)), targetMs: TARGET_MS, withinTarget: worst < TARGET_MS }));
    } finally {
      await c.stop();
    }
  } finally {
    tmp.cleanup();
  }
}
