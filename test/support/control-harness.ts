import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadCollectorConfig } from '../../collector/config.js';
import { startCollector, type RunningCollector } from '../../collector/main.js';
import { createLogger, silentLogger } from '../../common/logger.js';
import { commandKeys } from './command-keys.js';
import { addNode, forwardLogin } from './node-identity.js';
import { startTestExporter } from './exporter-harness.js';
import { tempDir } from './paths.js';
import { parseExposition, sampleValue } from './prom-text.js';
import { eventually } from './wait.js';

const logger = () => (process.env.EDGEWATCH_TEST_LOGS ? createLogger({ level: 'debug' }) : silentLogger);

/** A collector and one exporter wired through a real broker, with a fresh command key pair. */
export interface ControlPair {
  node: string;
  collector: RunningCollector;
  exporter: Awaited<ReturnType<typeof startTestExporter>>;
  api<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  keys: ReturnType<typeof commandKeys>;
  dir: string;
  stop(): Promise<void>;
}

/**
 * Starts a collector (mqtt.url = `brokerUrl`, forward and http on ephemeral ports) and an exporter of node
 * `edge-<random>` whose tasks are `tasksYaml`, shipping logs to the collector and taking its commands.
 */
export async function startControlPair(brokerUrl: string, tasksYaml: string, extraExporterYaml = '', extraCollectorYaml = ''): Promise<ControlPair> {
  const tmp = tempDir('edgewatch-control-');
  const keys = commandKeys(tmp.dir);
  const suffix = randomBytes(3).toString('hex');
  const node = `edge-${suffix}`;
  const config = loadCollectorConfig(
    [
      'http: {listen: "127.0.0.1:0"}',
      'forward: {listen: "127.0.0.1:0", heartbeat: false}',
      `mqtt: {url: "${brokerUrl}", clientId: "edgewatch-collector-${suffix}"}`,
      `commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}, ackTimeoutSeconds: 2}`,
      'nodes: {leaseSeconds: 5}',
      `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`,
      extraCollectorYaml,
    ].join('\n'),
  );
  const collector = await startCollector(config, { logger: logger() });
  const login = addNode(config, node);
  let exporter: Awaited<ReturnType<typeof startTestExporter>>;
  try {
    exporter = await startTestExporter(
      `node: ${node}\nforward: {address: "127.0.0.1:${collector.forwardPort}", flushIntervalMs: 5, ${forwardLogin(login)}}\nmqtt: {url: "${brokerUrl}", heartbeatSeconds: 1}\ncommands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}, allow: [restart, stop, start, apply, rollback, release, snapshot]}\n${extraExporterYaml}tasks:\n${tasksYaml}`,
    );
  } catch (err) {
    await collector.stop();
    tmp.cleanup();
    throw err;
  }
  const base = `http://127.0.0.1:${collector.httpPort}`;
  const pair: ControlPair = {
    node,
    collector,
    exporter,
    keys,
    dir: tmp.dir,
    async api<T>(path: string, init: { method?: string; body?: unknown } = {}) {
      const res = await fetch(base + path, {
        method: init.method ?? 'GET',
        ...(init.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    async metric(name, labels = {}) {
      return sampleValue(parseExposition(await exporter.exporter.registry.metrics()), name, labels);
    },
    async stop() {
      await exporter.stop();
      await collector.stop();
      tmp.cleanup();
    },
  };
  try {
    await eventually(`node ${node} online at the collector`, async () => {
      const { body } = await pair.api<{ nodes: Array<{ node: string; status: string; tasks: unknown[] }> }>('/api/nodes');
      const n = body.nodes.find((x) => x.node === node);
      return n?.status === 'online' && n.tasks.length > 0;
    });
  } catch (err) {
    // the caller never gets the pair to stop: stop it here, or its tasks outlive the test
    await pair.stop();
    throw err;
  }
  return pair;
}
