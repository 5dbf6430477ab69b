/**
 * `npm run bench -- fleet [--nodes 1000,3000] [--seconds 120] [--sims 4]`: one collector (its own process)
 * against a simulated fleet: N exporters, each a real MQTT session through Mosquitto (status with a Last
 * Will, heartbeats, a state snapshot, command acks) and a real forward connection that logs in with the
 * node's credentials and ships 5 records/s, six to an acked PackedForward chunk. Faults (six 5xx lines) and
 * lost nodes (a dropped MQTT socket) are injected on the way. Per N it reports what the fleet offered and
 * what the collector stored, nodes online and shipping, false offline transitions, the collector's RSS,
 * CPU, event-loop p99 and write bytes per record, detection and node-loss times, and the simulators' own CPU.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NodeCredentials } from '../collector/auth/node-credentials.js';
import { loadCollectorConfigFile } from '../collector/config.js';
import { openState } from '../collector/store/open-stores.js';
import { ensureSecretKey } from '../common/adapters/secret-key-file.js';
import { systemClock } from '../common/clock.js';
import { startCli } from '../test/support/cli.js';
import { commandKeys } from '../test/support/command-keys.js';
import { OwnMosquitto } from '../test/support/mosquitto.js';
import { tempDir } from '../test/support/paths.js';
import { freePort } from '../test/support/ports.js';
import { collectorSampler, type CollectorSample } from './fleet/collector-sampler.js';
import type { SimPlan, SimReport } from './fleet/sim-worker.js';
import { percentile } from './support/proc.js';
import { benchStores, storeYaml, type BenchStore } from './support/stores.js';

const RECORDS_PER_SECOND = 5;
const HEARTBEAT_MS = 10_000;
const FAULTS = 20;
const KILLS = 5;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Node credentials for the whole fleet, made in the collector's state DB before it starts (as `edgewatch nodes add` would). */
function fleetCredentials(configFile: string, n: number): { nodes: Array<{ name: string; password: string }>; sharedKey: string } {
  const config = loadCollectorConfigFile(configFile);
  const state = openState(config);
  try {
    const creds = new NodeCredentials(state, ensureSecretKey(config.paths.nodeKey, 'nodes.credentialsKeyFile'), systemClock);
    const nodes = Array.from({ length: n }, (_, i) => {
      const name = `sim-${String(i).padStart(5, '0')}`;
      return { name, password: creds.add(name, 'node').password };
    });
    return { nodes, sharedKey: creds.sharedKey() };
  } finally {
    state.close();
  }
}

async function runFleet(n: number, seconds: number, sims: number, kind: BenchStore) {
  const tmp = tempDir('edgewatch-fleet-');
  const store = await storeYaml(kind, join(tmp.dir, 'collector.db'));
  const children: ChildProcess[] = [];
  let stopCollector: (() => Promise<void>) | undefined;
  const own = await OwnMosquitto.create(tmp.dir, ['max_queued_messages 1000', 'set_tcp_nodelay true']);
  if ('skip' in own) throw new Error(own.skip);
  const mosquitto = own;
  try {
    const keys = commandKeys(tmp.dir);
    const ports = { http: await freePort(), forward: await freePort() };
    const configFile = join(tmp.dir, 'collector.yaml');
    writeFileSync(
      configFile,
      [
        `http: {listen: "127.0.0.1:${ports.http}"}`,
        // every simulated node connects from 127.0.0.1
        `forward: {listen: "127.0.0.1:${ports.forward}", heartbeat: false, limits: {maxConnectionsPerPeer: 100000, maxConnections: 100000}}`,
        `mqtt: {url: "${mosquitto.url}", clientId: "edgewatch-collector-fleet"}`,
        `commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}}`,
        // the bench injects a fault on many nodes at once: guardrails meant for a real fleet would stop it
        'remediation: {verifySeconds: 5, cooldownSeconds: 0, ratePerMinute: 100000, burst: 10000, maxNewIncidentsPerMinute: 100000, flap: {maxIncidents: 100000}, breaker: {minNodes: 100000}}',
        store.yaml,
      ].join('\n'),
    );
    const fleet = fleetCredentials(configFile, n);
    // EW_BENCH_COLLECTOR_NODE_OPTIONS (say "--cpu-prof --cpu-prof-dir=/tmp/prof") go to the collector's node alone
    const nodeOptions = process.env.EW_BENCH_COLLECTOR_NODE_OPTIONS;
    const collector = startCli(['collector', '--config', configFile, '--log-level', 'warn'], nodeOptions ? { env: { EDGEWATCH_NODE_OPTIONS: nodeOptions } } : {});
    children.push(collector.child);
    stopCollector = async () => {
      // SIGTERM first: a clean stop (which also writes a --cpu-prof profile)
      collector.child.kill('SIGTERM');
      await Promise.race([collector.exited, sleep(10_000)]);
    };
    const api = `http://127.0.0.1:${ports.http}`;
    for (let i = 0; ; i++) {
      if (i > 300) throw new Error(`the collector did not start:\n${collector.output()}`);
      if (await fetch(`${api}/readyz`).then((r) => r.ok, () => false)) break;
      await sleep(100);
    }
    const warmupMs = 20_000;
    const measureMs = seconds * 1000;
    const perSim = Math.ceil(n / sims);
    const reports = new Map<number, SimReport>();
    const detections: number[] = [];
    const killed: Array<{ node: string; atEpochMs: number }> = [];
    const lossMs: number[] = [];
    /** From a node's dropped socket to the collector showing it offline (polled every 10 ms). */
    const watchLoss = async (k: { node: string; atEpochMs: number }) => {
      for (let i = 0; i < 6000; i++) {
        const body = (await (await fetch(`${api}/api/nodes?name=${k.node}`)).json()) as { nodes: Array<{ status: string }> };
        if (body.nodes[0]?.status === 'offline') return void lossMs.push(Date.now() - k.atEpochMs);
        await sleep(10);
      }
    };
    for (let s = 0; s < sims; s++) {
      const slice = fleet.nodes.slice(s * perSim, (s + 1) * perSim);
      if (slice.length === 0) continue;
      const faults = Array.from({ length: Math.ceil(FAULTS / sims) }, (_, i) => ({ node: slice[(i * 7 + 3) % slice.length]!.name, atMs: warmupMs + ((i + 1) * measureMs) / (FAULTS / sims + 1) }));
      const kills = Array.from({ length: Math.ceil(KILLS / sims) }, (_, i) => ({ node: slice[slice.length - 1 - i]!.name, atMs: warmupMs + measureMs - 15_000 }));
      const plan: SimPlan = { nodes: slice, sharedKey: fleet.sharedKey, forwardPort: ports.forward, mqttPort: mosquitto.port, recordsPerSecond: RECORDS_PER_SECOND, heartbeatMs: HEARTBEAT_MS, faults, kills };
      const child = fork(new URL('./fleet/sim-worker.js', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      child.on('message', (m) => {
        if ('killed' in (m as object)) {
          for (const k of (m as { killed: Array<{ node: string; atEpochMs: number }> }).killed) {
            killed.push(k);
            void watchLoss(k);
          }
          return;
        }
        const r = m as SimReport;
        detections.push(...r.detectionsMs);
        reports.set(s, r);
      });
      child.send(plan);
    }
    const total = () => [...reports.values()].reduce((a, r) => ({ sent: a.sent + r.sentRecords, acked: a.acked + r.ackedRecords, inflight: a.inflight + r.inflight, connected: a.connected + r.mqttConnected, shipping: a.shipping + r.shipping, cpu: a.cpu + r.cpuSeconds }), { sent: 0, acked: 0, inflight: 0, connected: 0, shipping: 0, cpu: 0 });
    log(`  ${n} nodes in ${sims} simulators; warming up ${warmupMs / 1000} s`);
    await sleep(warmupMs);
    const sampler = collectorSampler(collector.child.pid!, api);
    const first: CollectorSample = await sampler.sample();
    const simStart = total();
    const samples: CollectorSample[] = [first];
    let falseOffline = 0;
    const deadline = Date.now() + measureMs;
    while (Date.now() < deadline) {
      await sleep(Math.min(5000, deadline - Date.now()));
      const s = await sampler.sample();
      samples.push(s);
      falseOffline = Math.max(falseOffline, s.offline - killed.length);
      const t = total();
      log(`  t+${((Date.now() - (deadline - measureMs)) / 1000).toFixed(0)} s: online ${s.online}, shipping ${t.shipping}, stored ${Math.round((s.stored - first.stored) / ((s.at - first.at) / 1000))}/s, loop p99 ${s.loopP99Ms.toFixed(1)} ms, RSS ${s.rssMB.toFixed(0)} MB`);
    }
    const last = samples.at(-1)!;
    const simEnd = total();
    await sleep(2000);
    const t0 = performance.now();
    const page = (await (await fetch(`${api}/api/nodes?limit=500`)).text()).length;
    const pageMs = performance.now() - t0;
    const t1 = performance.now();
    await (await fetch(`${api}/api/nodes?limit=1`)).json();
    const summaryMs = performance.now() - t1;
    const elapsed = (last.at - first.at) / 1000;
    const storedPerSec = (last.stored - first.stored) / elapsed;
    const offeredPerSec = (simEnd.sent - simStart.sent) / elapsed;
    return {
      store: kind,
      nodes: n,
      online: last.online,
      shipping: simEnd.shipping,
      falseOffline,
      offeredPerSec: Math.round(offeredPerSec),
      storedPerSec: Math.round(storedPerSec),
      backlogRecords: simEnd.inflight,
      rssMB: Math.round(last.rssMB),
      rssGrowthMB: Math.round(last.rssMB - first.rssMB),
      cpuPercent: Math.round(((last.cpuSeconds - first.cpuSeconds) / elapsed) * 100),
      loopP99Ms: Number(Math.max(...samples.slice(1).map((s) => s.loopP99Ms)).toFixed(1)),
      // the collector process's own writes: on PostgreSQL the server writes, so this says nothing there
      writeBytesPerRecord: kind === 'sqlite' ? Math.round((last.writeBytes - first.writeBytes) / Math.max(1, last.stored - first.stored)) : null,
      detectionP50Ms: detections.length ? Math.round(percentile(detections, 50)) : null,
      detectionP99Ms: detections.length ? Math.round(percentile(detections, 99)) : null,
      faultsDetected: `${detections.length}/${FAULTS}`,
      nodeLossMs: lossMs.length ? Math.round(percentile(lossMs, 50)) : null,
      nodeLossMaxMs: lossMs.length ? Math.round(Math.max(...lossMs)) : null,
      nodesPageMs: Number(pageMs.toFixed(1)),
      nodesPageKB: Math.round(page / 1024),
      nodesSummaryMs: Number(summaryMs.toFixed(1)),
      simulatorCpuPercent: Math.round(((simEnd.cpu - simStart.cpu) / elapsed) * 100),
    };
  } finally {
    await stopCollector?.();
    for (const c of children) c.kill('SIGKILL');
    await mosquitto.stop();
    await store.cleanup();
    tmp.cleanup();
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { nodes: { type: 'string' }, seconds: { type: 'string' }, sims: { type: 'string' }, stores: { type: 'string' } } });
  const stores = benchStores(values.stores);
  const sizes = (values.nodes ?? '1000,3000').split(',').map(Number);
  const seconds = Number(values.seconds ?? 120);
  const sims = Number(values.sims ?? 4);
  log(`fleet bench (stores ${stores.join(', ')}): ${sizes.join(', ')} nodes x ${RECORDS_PER_SECOND} records/s (6 per chunk), heartbeat every ${HEARTBEAT_MS / 1000} s, ${seconds} s measured each; ${FAULTS} faults, ${KILLS} lost nodes; run id ${randomBytes(3).toString('hex')}`);
  const runs = [];
  for (const n of sizes) {
    for (const kind of stores) {
      log(`fleet of ${n} on ${kind}:`);
      const r = await runFleet(n, seconds, sims, kind);
      log(`  ${JSON.stringify(r)}`);
      runs.push(r);
    }
  }
  log(JSON.stringify({ bench: 'fleet', recordsPerNodePerSecond: RECORDS_PER_SECOND, runs, targets: { loopP99Ms: 50, detectionP99Ms: 1000 }, references: { kubernetesNodeLossMs: 40_000 + 300_000 } }));
}
