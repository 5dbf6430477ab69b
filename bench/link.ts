/**
 * `npm run bench -- link [--commands N] [--records N]`: the edge↔cloud link.
 * 1. Command round trip, collector publish → edge `done` ack (signed, verified, journaled with fsync,
 *    executed), p50/p99 over N commands through Mosquitto, beside a bare mqtt.js QoS 1
 *    publish → subscribe → reply round trip in the same run.
 * 2. Log shipping with acks: the exporter's spool and shipper (fluent-logger PackedForward batches) to a
 *    collector process, beside fluent-logger's per-event ack mode (Message, requireAckResponse).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fluent from 'fluent-logger';
import mqtt from 'mqtt';
import { loadCollectorConfig, loadCollectorConfigFile } from '../collector/config.js';
import { addNode } from '../test/support/node-identity.js';
import { startCollector } from '../collector/main.js';
import { systemClock } from '../common/clock.js';
import { silentLogger } from '../common/logger.js';
import { loadExporterConfig } from '../exporter/config.js';
import { startExporter } from '../exporter/main.js';
import { FluentForwardClient } from '../exporter/adapters/fluent-forward-client.js';
import { Shipper } from '../exporter/spool/shipper.js';
import { Spool } from '../exporter/spool/spool.js';
import { startCli } from '../test/support/cli.js';
import { commandKeys } from '../test/support/command-keys.js';
import { OwnMosquitto } from '../test/support/mosquitto.js';
import { tempDir } from '../test/support/paths.js';
import { freePort } from '../test/support/ports.js';
import { percentile } from './support/proc.js';

const log = (s: string) => process.stdout.write(`${s}\n`);
const now = () => performance.now();

async function bareMqttRoundTrip(url: string, n: number): Promise<number[]> {
  const topic = `edgewatch-bench/${randomBytes(4).toString('hex')}`;
  const a = mqtt.connect(url, { clientId: `bench-a-${process.pid}`, clean: true });
  const b = mqtt.connect(url, { clientId: `bench-b-${process.pid}`, clean: true });
  await Promise.all([a, b].map((c) => new Promise((r) => c.once('connect', r))));
  for (const c of [a, b]) (c.stream as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true); // as MqttBus does
  await new Promise((r) => b.subscribe(`${topic}/ping`, { qos: 1 }, r));
  await new Promise((r) => a.subscribe(`${topic}/pong`, { qos: 1 }, r));
  b.on('message', (_t, p) => b.publish(`${topic}/pong`, p, { qos: 1 }));
  const rtt: number[] = [];
  let resolve: () => void = () => {};
  a.on('message', () => resolve());
  for (let i = 0; i < n; i++) {
    const done = new Promise<void>((r) => (resolve = r));
    const t0 = now();
    a.publish(`${topic}/ping`, String(i), { qos: 1 });
    await done;
    rtt.push(now() - t0);
  }
  await Promise.all([a, b].map((c) => new Promise((r) => c.end(false, {}, r))));
  return rtt;
}

async function commandRoundTrip(url: string, n: number, dir: string): Promise<number[]> {
  const keys = commandKeys(dir);
  const collector = await startCollector(
    loadCollectorConfig(
      `http: {listen: "127.0.0.1:0"}\nforward: {listen: "127.0.0.1:0", heartbeat: false}\nmqtt: {url: "${url}", clientId: "bench-collector-${process.pid}"}\ncommands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}}\nstore: {path: ${JSON.stringify(join(dir, 'c.db'))}}\n`,
    ),
    { logger: silentLogger },
  );
  const node = `bench-link-${process.pid}`;
  const exporter = await startExporter(
    loadExporterConfig(`node: ${node}\nhttp: {listen: "127.0.0.1:0"}\nstate: {dir: ${dir}/state}\nmqtt: {url: "${url}"}\ncommands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}}\ntasks:\n  - name: idle\n    command: [node, -e, "setInterval(() => {}, 1 << 30)"]\n`),
    { logger: silentLogger, env: process.env },
  );
  try {
    while (collector.nodes.get(node)?.status !== 'online') await new Promise((r) => setTimeout(r, 20));
    const rtt: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = now();
      // `start` on a running task: the whole command path with a no-op at the end
      const rec = collector.dispatcher.send({ node, type: 'start', task: 'idle' });
      const final = await collector.dispatcher.whenFinal(rec.id);
      if (final.status !== 'done') throw new Error(`command ${i} ended ${final.status}: ${final.reason}`);
      rtt.push(now() - t0);
    }
    return rtt;
  } finally {
    await exporter.stop();
    await collector.stop();
  }
}

async function shipping(records: number, dir: string): Promise<{ spoolPerSec: number; perEventPerSec: number; perEventRecords: number }> {
  const ports = { http: await freePort(), forward: await freePort() };
  const cfg = join(dir, 'collector.yaml');
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${ports.http}"}\nforward: {listen: "127.0.0.1:${ports.forward}", heartbeat: false}\nmqtt: {embedded: {listen: "127.0.0.1:0"}}\nstore: {path: ${JSON.stringify(join(dir, 'ship.db'))}}\n`);
  const collector = startCli(['collector', '--config', cfg]);
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${ports.http}/readyz`)).ok) break;
      } catch {
        // starting
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const spool = new Spool(join(dir, 'spool'), { maxBytes: 1 << 30 }, { dropped() {}, quarantined() {} });
    for (let i = 0; i < records; i++) {
      spool.append({ ts: Date.now(), node: 'bench-ship', task: `t${i % 10}`, stream: 'stdout', level: 'info', msg: `GET /api/items/${i}`, status: 200, duration_ms: 12.5, trace_id: randomBytes(16).toString('hex') });
    }
    spool.flush();
    // logged in as node bench-ship (node credentials, the collector's default), with the exporter's defaults (forward.*)
    const ship = addNode(loadCollectorConfigFile(cfg), 'bench-ship');
    const client = new FluentForwardClient({ addresses: [{ host: '127.0.0.1', port: ports.forward }], node: 'bench-ship', tls: false, flushIntervalMs: 1, ackTimeoutMs: 10_000, sharedKey: ship.sharedKey, username: ship.name, password: ship.password });
    let resolveDone: () => void = () => {};
    const done = new Promise<void>((r) => (resolveDone = r));
    const shipper = new Shipper(
      spool,
      client,
      { batchRecords: 5000, batchBytes: 4 << 20, drainRecordsPerSecond: 1e9, retryInitialMs: 100, retryMaxMs: 1000 },
      systemClock,
      { shipped: () => spool.stats().records === 0 && resolveDone(), failed: (r) => log(`  ship failure: ${r}`), connected() {} },
      silentLogger,
    );
    log(`  shipping ${records} spooled records ...`);
    const t0 = now();
    shipper.start();
    await done;
    const spoolPerSec = records / ((now() - t0) / 1000);
    await shipper.stop();
    spool.close();

    const perEventRecords = Math.min(2_000, records);
    log(`  fluent-logger per-event acks: ${perEventRecords} events ...`);
    const plain = addNode(loadCollectorConfigFile(cfg), 'bench-plain');
    const sender = fluent.createFluentSender('edgewatch.bench-plain', { host: '127.0.0.1', port: ports.forward, eventMode: 'Message', requireAckResponse: true, security: { clientHostname: plain.name, sharedKey: plain.sharedKey, username: plain.name, password: plain.password }, internalLogger: { info() {}, error() {} } } as never);
    const t1 = now();
    let acked = 0;
    await new Promise<void>((resolve, reject) => {
      for (let i = 0; i < perEventRecords; i++) {
        sender.emit('t', { msg: `GET /api/items/${i}`, status: 200 }, (err?: Error) => {
          if (err) return reject(err);
          if (++acked === perEventRecords) resolve();
        });
      }
    });
    const perEventPerSec = perEventRecords / ((now() - t1) / 1000);
    (sender as unknown as { end(): void }).end();
    return { spoolPerSec, perEventPerSec, perEventRecords };
  } finally {
    collector.child.kill('SIGTERM');
    await collector.exited;
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { commands: { type: 'string' }, records: { type: 'string' }, broker: { type: 'string' } } });
  const n = Number(values.commands ?? 1000);
  const records = Number(values.records ?? 200_000);
  const tmp = tempDir('edgewatch-bench-link-');
  // a broker of its own with TCP_NODELAY, as docs/control-channel.md recommends (Mosquitto's
  // default Nagle adds ~40 ms to every small-packet round trip)
  const own = values.broker ? undefined : await OwnMosquitto.create(tmp.dir, ['set_tcp_nodelay true']);
  const url = values.broker ?? (own && !('skip' in own) ? own.url : 'mqtt://127.0.0.1:1883');
  try {
    log(`bare mqtt.js QoS 1 round trip x ${n} through ${url} ...`);
    const bare = await bareMqttRoundTrip(url, n);
    log(`  p50 ${percentile(bare, 50).toFixed(2)} ms, p99 ${percentile(bare, 99).toFixed(2)} ms`);
    log(`signed command round trip (publish -> accepted -> done) x ${n} ...`);
    const cmd = await commandRoundTrip(url, n, tmp.dir);
    log(`  p50 ${percentile(cmd, 50).toFixed(2)} ms, p99 ${percentile(cmd, 99).toFixed(2)} ms`);
    log('log shipping with acks ...');
    const ship = await shipping(records, tmp.dir);
    log(`  spool + shipper ${Math.round(ship.spoolPerSec)} records/s; fluent-logger per-event acks ${Math.round(ship.perEventPerSec)} records/s`);
    console.log(
      JSON.stringify({
        bench: 'link',
        commands: n,
        commandP50Ms: +percentile(cmd, 50).toFixed(2),
        commandP99Ms: +percentile(cmd, 99).toFixed(2),
        bareMqttP50Ms: +percentile(bare, 50).toFixed(2),
        bareMqttP99Ms: +percentile(bare, 99).toFixed(2),
        shippedRecords: records,
        shippingRecordsPerSec: Math.round(ship.spoolPerSec),
        perEventAckRecordsPerSec: Math.round(ship.perEventPerSec),
        shippingTargetRecordsPerSec: 50_000,
      }),
    );
  } finally {
    if (own && !('skip' in own)) await own.stop();
    tmp.cleanup();
  }
}
