import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { Unpackr } from 'msgpackr';
import { loadCollectorConfig } from '../collector/config.js';
import { registerEventTimeExtension } from '../collector/ingest/forward/event-time.js';
import { startCollector } from '../collector/main.js';
import { COLLECTOR_SERVICE } from '../collector/pipeline/internal-events.js';
import { silentLogger } from '../common/logger.js';
import { addNode } from '../test/support/node-identity.js';
import { buildTraffic } from './ingest-frames.js';
import type { ForwardLogin } from './support/forward-login.js';
import { benchStores, storeYaml, type BenchStore } from './support/stores.js';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const PER_CHUNK = Number(process.env.BENCH_CHUNK ?? 5_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 4);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The floor: msgpackr decoding the same entry bytes, nothing else (best of three passes). */
function decodeFloor(payloads: Buffer[], records: number): number {
  registerEventTimeExtension();
  const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false });
  let best = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const t0 = performance.now();
    let n = 0;
    for (const p of payloads) n += unpackr.unpackMultiple(p).length;
    const ms = performance.now() - t0;
    if (n !== records) throw new Error(`floor decoded ${n} records, expected ${records}`);
    best = Math.min(best, ms);
  }
  return records / (best / 1000);
}

function send(port: number, frames: Buffer[], login: ForwardLogin): Promise<number> {
  // Transferred, not copied: the collector's process should not also carry the sender's 200 MB.
  const worker = new Worker(new URL('./ingest-client.js', import.meta.url), {
    workerData: { port, frames, window: WINDOW, login },
    transferList: frames.map((f) => f.buffer as ArrayBuffer),
  });
  return new Promise((resolve, reject) => {
    let lastReport = 0;
    worker.on('message', (m: { type: string; acked?: number; elapsedMs?: number; message?: string }) => {
      if (m.type === 'progress' && m.acked! - lastReport >= frames.length / 10) {
        lastReport = m.acked!;
        log(`  acked ${m.acked}/${frames.length} chunks`);
      } else if (m.type === 'done') {
        resolve(m.elapsedMs!);
        void worker.terminate();
      } else if (m.type === 'error') {
        reject(new Error(m.message));
      }
    });
    worker.on('error', reject);
  });
}

/** One store's run: the same traffic through the forward input into SQLite or PostgreSQL. */
async function runStore(kind: BenchStore): Promise<{ eventsPerSec: number; traceLookupMs: number; floor: number }> {
  const traffic = buildTraffic(RECORDS, PER_CHUNK, Date.now() - 60_000);
  const bytes = traffic.frames.reduce((n, f) => n + f.length, 0);
  log(`[${kind}] built ${traffic.frames.length} frames, ${(bytes / 1e6).toFixed(1)} MB`);
  const floor = decodeFloor(traffic.payloads, traffic.records);
  log(`[${kind}] floor: bare msgpackr decode of the same entries: ${Math.round(floor)} events/s`);
  const frames = traffic.frames;
  traffic.payloads.length = 0;
  const dir = mkdtempSync(join(tmpdir(), 'edgewatch-bench-'));
  const store = await storeYaml(kind, join(dir, 'bench.db'));
  try {
    const config = loadCollectorConfig(`http: {listen: "127.0.0.1:0"}\nforward: {listen: "127.0.0.1:0", heartbeat: false}\nmqtt: {embedded: {listen: "127.0.0.1:0"}}\n${store.yaml}\n`);
    const collector = await startCollector(config, { logger: silentLogger });
    // the sender logs in as node edge-1 (forward.nodeAuth, the default), as an exporter does
    const node = addNode(config, 'edge-1');
    log(`[${kind}] collector listening on forward port ${collector.forwardPort}; sending as node edge-1 (handshake with node credentials)`);
    const elapsedMs = await send(collector.forwardPort, frames, { username: node.name, password: node.password, sharedKey: node.sharedKey });
    // the collector writes its own records too (a rule that fired on the synthetic 5xx lines, the command it sent)
    const own = collector.store.logs({ task: COLLECTOR_SERVICE, limit: 10_000 }).length;
    const stored = collector.store.stats().records - own;
    const probe = traffic.traceIds[Math.floor(traffic.traceIds.length / 2)]!;
    const t0 = performance.now();
    const found = collector.store.trace(probe, 100).length;
    const lookupMs = performance.now() - t0;
    await collector.stop();
    if (stored !== traffic.records) throw new Error(`[${kind}] store holds ${stored} records from edge-1 (and ${own} of its own), expected ${traffic.records}`);
    if (found !== 4) throw new Error(`[${kind}] trace ${probe} returned ${found} records, expected 4`);
    const eventsPerSec = traffic.records / (elapsedMs / 1000);
    log(`[${kind}] ingested ${stored} records in ${elapsedMs.toFixed(0)} ms: ${Math.round(eventsPerSec)} events/s; trace lookup ${lookupMs.toFixed(1)} ms`);
    return { eventsPerSec, traceLookupMs: lookupMs, floor };
  } finally {
    await store.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench -- ingest [--stores sqlite,postgres]`: 1M records through the forward input into the
 * store, against a bare decode; SQLite (the baseline) and PostgreSQL in the same run.
 */
export async function main(argv: string[] = []): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { stores: { type: 'string' } } });
  const stores = benchStores(values.stores);
  log(`ingest bench: ${RECORDS} records, PackedForward ${PER_CHUNK}/chunk with acks, ${WINDOW} chunks in flight, stores ${stores.join(', ')}`);
  const results: Partial<Record<BenchStore, Awaited<ReturnType<typeof runStore>>>> = {};
  for (const kind of stores) results[kind] = await runStore(kind);
  const view = (r: Awaited<ReturnType<typeof runStore>>) => ({
    eventsPerSec: Math.round(r.eventsPerSec),
    floorEventsPerSec: Math.round(r.floor),
    ratio: Number((r.eventsPerSec / r.floor).toFixed(3)),
    traceLookupMs: Number(r.traceLookupMs.toFixed(2)),
  });
  const base = results.sqlite ?? results.postgres!;
  log(JSON.stringify({
    bench: 'ingest',
    records: RECORDS,
    chunkRecords: PER_CHUNK,
    window: WINDOW,
    ...view(base),
    target: 0.25,
    stores: Object.fromEntries(Object.entries(results).map(([k, r]) => [k, view(r)])),
    ...(results.sqlite && results.postgres ? { postgresVsSqlite: Number((results.postgres.eventsPerSec / results.sqlite.eventsPerSec).toFixed(3)) } : {}),
  }));
}
