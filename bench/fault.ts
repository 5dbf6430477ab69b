/**
 * `npm run bench -- fault [--faults N]`: time from the sixth consecutive 5xx line a task prints to the task
 * running again (its new process started), through the whole product: exporter parse → spool → forward →
 * collector rules → incident → signed restart over Mosquitto → exporter restart. Beside it, in the same
 * run, the floor: the same restart ordered directly through POST /api/commands (no detection).
 * Then the edge-local path (docs/edge-autonomy.md): the same fault on a node with no link at all, its
 * rule scoped `edge` in a pinned rule file, restarted by the exporter itself (parse → edge rule engine →
 * local ladder → restart), no spool, broker or collector in between.
 * Kubernetes' default liveness path takes about 30 s; Prometheus + Alertmanager defaults about 2.5 min.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCollectorConfig } from '../collector/config.js';
import { addNode, forwardLogin } from '../test/support/node-identity.js';
import { startCollector } from '../collector/main.js';
import { createLogger, silentLogger } from '../common/logger.js';
import { loadExporterConfig } from '../exporter/config.js';
import { startExporter } from '../exporter/main.js';
import { commandKeys } from '../test/support/command-keys.js';
import { tempDir } from '../test/support/paths.js';
import { freePort } from '../test/support/ports.js';
import { percentile } from './support/proc.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const log = (s: string) => process.stdout.write(`${s}\n`);

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { faults: { type: 'string' }, broker: { type: 'string' } } });
  const faults = Number(values.faults ?? 100);
  const broker = values.broker ?? 'mqtt://127.0.0.1:1883';
  const tmp = tempDir('edgewatch-bench-fault-');
  const keys = commandKeys(tmp.dir);
  // task start reports, and who waits for the next one (a report may come before anyone waits)
  const waiting: Array<(t: number) => void> = [];
  const unclaimed: number[] = [];
  const server = createServer((req, res) => {
    const t = Number(new URL(req.url!, 'http://x').searchParams.get('t'));
    const w = waiting.shift();
    if (w) w(t);
    else unclaimed.push(t);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const benchUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  writeFileSync(join(tmp.dir, 'rules.yml'), 'rules:\n  - name: consecutive-5xx\n    kind: consecutive\n    match: {status: ">=500"}\n    count: 6\n    action: restart\n');
  const collectorConfig = loadCollectorConfig(
      [
        'http: {listen: "127.0.0.1:0"}',
        'forward: {listen: "127.0.0.1:0", heartbeat: false}',
        `mqtt: {url: "${broker}", clientId: "edgewatch-bench-${process.pid}"}`,
        `commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}}`,
        `rules: {file: ${JSON.stringify(join(tmp.dir, 'rules.yml'))}}`,
        // one task faults 100 times in a row: the flap and cooldown limits would (rightly) stop it
        'remediation: {verifySeconds: 0.3, cooldownSeconds: 0, ratePerMinute: 100000, burst: 1000, flap: {maxIncidents: 100000}}',
        `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`,
      ].join('\n'),
    );
  const collector = await startCollector(collectorConfig, { logger: silentLogger });
  const port = await freePort();
  const node = `bench-${process.pid}`;
  const login = addNode(collectorConfig, node);
  const exporter = await startExporter(
    loadExporterConfig(
      `node: ${node}\nhttp: {listen: "127.0.0.1:0"}\nstate: {dir: ${tmp.dir}/state}\nspool: {dir: ${tmp.dir}/spool}\nforward: {address: "127.0.0.1:${collector.forwardPort}", flushIntervalMs: 5, ${forwardLogin(login)}}\nmqtt: {url: "${broker}"}\ncommands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}}\ntasks:\n  - name: api\n    command: [node, ${join(root, 'bench/tasks/faulty.js')}]\n    env: {PORT: ${port}, BENCH_URL: "${benchUrl}"}\n    terminationGracePeriodSeconds: 1\n`,
    ),
    { logger: process.env.BENCH_LOGS ? createLogger({ level: 'debug' }) : silentLogger, env: process.env },
  );
  const nextStart = () => (unclaimed.length > 0 ? Promise.resolve(unclaimed.shift()!) : new Promise<number>((r) => waiting.push(r)));
  const api = `http://127.0.0.1:${collector.httpPort}`;
  try {
    await nextStart();
    for (;;) {
      const nodes = (await (await fetch(`${api}/api/nodes`)).json()) as { nodes: Array<{ node: string; status: string }> };
      if (nodes.nodes.some((n) => n.node === node && n.status === 'online')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    log(`floor: ${Math.min(20, faults)} restarts ordered through POST /api/commands ...`);
    const floor: number[] = [];
    for (let i = 0; i < Math.min(20, faults); i++) {
      const started = nextStart();
      const t0 = performance.timeOrigin + performance.now();
      await fetch(`${api}/api/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ node, task: 'api', type: 'restart', wait: false }) });
      floor.push((await started) - t0);
    }
    log(`  p50 ${percentile(floor, 50).toFixed(1)} ms, p99 ${percentile(floor, 99).toFixed(1)} ms`);
    log(`faults: ${faults} x six consecutive 5xx lines -> detected -> restarted ...`);
    const lat: number[] = [];
    for (let i = 0; i < faults; i++) {
      await waitServing(port);
      const started = nextStart();
      const t0 = Number(await (await fetch(`http://127.0.0.1:${port}/fault`)).text());
      lat.push((await started) - t0);
      await waitResolved(api);
      if ((i + 1) % 20 === 0) log(`  ${i + 1}/${faults}: p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms`);
    }
    const edge = await edgePath(faults, tmp.dir, benchUrl, nextStart);
    const result = {
      bench: 'fault',
      faults,
      p50Ms: +percentile(lat, 50).toFixed(1),
      p99Ms: +percentile(lat, 99).toFixed(1),
      maxMs: +Math.max(...lat).toFixed(1),
      edgeP50Ms: +percentile(edge, 50).toFixed(1),
      edgeP99Ms: +percentile(edge, 99).toFixed(1),
      edgeMaxMs: +Math.max(...edge).toFixed(1),
      floorRestartP50Ms: +percentile(floor, 50).toFixed(1),
      floorRestartP99Ms: +percentile(floor, 99).toFixed(1),
      targetP99Ms: 500,
      references: { kubernetesLivenessMs: 30_000, prometheusAlertmanagerMs: 150_000 },
    };
    console.log(JSON.stringify(result));
  } finally {
    await exporter.stop();
    await collector.stop();
    server.close();
    tmp.cleanup();
  }
}

async function waitServing(port: number): Promise<void> {
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function waitResolved(api: string): Promise<void> {
  for (;;) {
    const { incidents } = (await (await fetch(`${api}/api/incidents?limit=5`)).json()) as { incidents: Array<{ status: string }> };
    if (incidents.every((i) => i.status === 'resolved' || i.status === 'escalated')) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The edge-local path: a node without any link restarts the task itself on the sixth 5xx line. */
async function edgePath(faults: number, dir: string, benchUrl: string, nextStart: () => Promise<number>): Promise<number[]> {
  const port = await freePort();
  writeFileSync(join(dir, 'edge-rules.yml'), 'rules:\n  - name: consecutive-5xx\n    kind: consecutive\n    match: {status: ">=500"}\n    count: 6\n    action: restart\n    scope: edge\n');
  const exporter = await startExporter(
    loadExporterConfig(
      // the same fault 100 times in a row: the cooldown, rate, breaker and flap limits would (rightly) stop it
      `node: bench-edge-${process.pid}\nhttp: {listen: "127.0.0.1:0"}\nstate: {dir: ${dir}/edge-state}\nspool: {dir: ${dir}/edge-spool}\nrules: {file: ${JSON.stringify(join(dir, 'edge-rules.yml'))}, verifySeconds: 0.3, cooldownSeconds: 0, ratePerMinute: 100000, burst: 1000, flap: {maxIncidents: 100000}}\ntasks:\n  - name: api\n    command: [node, ${join(root, 'bench/tasks/faulty.js')}]\n    env: {PORT: ${port}, BENCH_URL: "${benchUrl}"}\n    terminationGracePeriodSeconds: 1\n`,
    ),
    { logger: process.env.BENCH_LOGS ? createLogger({ level: 'debug' }) : silentLogger, env: process.env },
  );
  const open = async () => Number(/^edgewatch_exporter_local_incidents_open\{[^}]*\} (\S+)$/m.exec(await exporter.registry.metrics())?.[1] ?? NaN);
  const lat: number[] = [];
  try {
    await nextStart();
    log(`edge-local: ${faults} x six consecutive 5xx lines -> the node's own rule -> restarted, no link ...`);
    for (let i = 0; i < faults; i++) {
      await waitServing(port);
      const started = nextStart();
      const t0 = Number(await (await fetch(`http://127.0.0.1:${port}/fault`)).text());
      lat.push((await started) - t0);
      while ((await open()) !== 0) await new Promise((r) => setTimeout(r, 20));
      if ((i + 1) % 20 === 0) log(`  ${i + 1}/${faults}: p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms`);
    }
  } finally {
    await exporter.stop();
  }
  return lat;
}
