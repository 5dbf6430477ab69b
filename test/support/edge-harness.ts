import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectorConfig, type CollectorConfig } from '../../collector/config.js';
import { startCollector, type RunningCollector } from '../../collector/main.js';
import { createLogger, silentLogger } from '../../common/logger.js';
import { commandKeys } from './command-keys.js';
import { startFaultExporter, type FaultExporter } from './fault-exporter.js';
import { OwnMosquitto } from './mosquitto.js';
import { addNode, forwardLogin, type NodeLogin } from './node-identity.js';
import { fixture, tempDir } from './paths.js';
import { freePort } from './ports.js';
import { parseExposition, sampleValue } from './prom-text.js';
import { eventually } from './wait.js';

/** The default rules' 5xx streak, scoped both: the collector and the nodes run it. */
export const STREAK_BOTH = `rules:
  - name: consecutive-5xx
    kind: consecutive
    match: {status: ">=500"}
    count: 6
    action: restart
    severity: critical
    scope: both
`;

const logger = () => (process.env.EDGEWATCH_TEST_LOGS ? createLogger({ level: 'debug' }) : silentLogger);

/**
 * Edge autonomy under test: a Mosquitto of its own (the collector's presence is a retained topic that
 * other tests' collectors must not touch), a collector that can be stopped and started again on the same
 * ports and state, and `edgewatch exporter` processes of one node with a state dir that outlives them.
 */
export interface EdgeRig {
  dir: string;
  node: string;
  broker: OwnMosquitto;
  keys: ReturnType<typeof commandKeys>;
  login: NodeLogin;
  collectorConfig: CollectorConfig;
  collector: RunningCollector | undefined;
  /** Writes the collector's rule file (read at its next start). */
  writeRules(yaml: string): void;
  startCollector(): Promise<RunningCollector>;
  stopCollector(): Promise<void>;
  api<T = unknown>(path: string): Promise<T>;
  collectorMetric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  /** Starts the node's exporter (CLI) with these tasks and extra keys; its state dir is the rig's. */
  startExporter(tasksYaml: string, extraYaml?: string): Promise<FaultExporter>;
  stop(): Promise<void>;
}

/** Builds a rig; `skip` when Mosquitto is not installed (under CI=true that fails instead). */
export async function edgeRig(rulesYaml: string, collectorExtra = ''): Promise<EdgeRig | { skip: string }> {
  const tmp = tempDir('edgewatch-edge-rig-');
  const broker = await OwnMosquitto.create(tmp.dir);
  if ('skip' in broker) {
    if (process.env.CI === 'true') throw new Error(`CI=true and ${broker.skip}`);
    tmp.cleanup();
    return broker;
  }
  const keys = commandKeys(tmp.dir);
  const suffix = randomBytes(3).toString('hex');
  const node = `edge-${suffix}`;
  const [httpPort, forwardPort] = [await freePort(), await freePort()];
  const rulesFile = join(tmp.dir, 'rules.yml');
  writeFileSync(rulesFile, rulesYaml);
  const collectorConfig = loadCollectorConfig(
    [
      `http: {listen: "127.0.0.1:${httpPort}"}`,
      `forward: {listen: "127.0.0.1:${forwardPort}", heartbeat: false}`,
      `mqtt: {url: "${broker.url}", clientId: "edgewatch-collector-${suffix}"}`,
      `commands: {privateKeyFile: ${JSON.stringify(keys.privateKeyFile)}, ackTimeoutSeconds: 2}`,
      'nodes: {leaseSeconds: 5}',
      `rules: {file: ${JSON.stringify(rulesFile)}}`,
      `store: {path: ${JSON.stringify(join(tmp.dir, 'collector.db'))}}`,
      collectorExtra,
    ].join('\n'),
  );
  const login = addNode(collectorConfig, node);
  const exporterDir = join(tmp.dir, 'exporter');
  mkdirSync(exporterDir, { recursive: true });
  const exporters: FaultExporter[] = [];
  const base = `http://127.0.0.1:${httpPort}`;
  const rig: EdgeRig = {
    dir: tmp.dir,
    node,
    broker,
    keys,
    login,
    collectorConfig,
    collector: undefined,
    writeRules: (yaml) => writeFileSync(rulesFile, yaml),
    async startCollector() {
      rig.collector = await startCollector(collectorConfig, { logger: logger() });
      return rig.collector;
    },
    async stopCollector() {
      await rig.collector?.stop();
      rig.collector = undefined;
    },
    async api<T>(path: string) {
      const res = await fetch(base + path);
      if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
      return (await res.json()) as T;
    },
    async collectorMetric(name, labels = {}) {
      return rig.collector ? sampleValue(parseExposition(await rig.collector.registry.metrics()), name, labels) : undefined;
    },
    async startExporter(tasksYaml, extraYaml = '') {
      const yaml = [
        `node: ${node}`,
        `state: {dir: ${JSON.stringify(join(exporterDir, 'state'))}}`,
        `spool: {dir: ${JSON.stringify(join(exporterDir, 'spool'))}}`,
        `forward: {address: "127.0.0.1:${forwardPort}", flushIntervalMs: 5, retryMaxSeconds: 1, ${forwardLogin(login)}}`,
        `mqtt: {url: "${broker.url}", heartbeatSeconds: 1}`,
        `commands: {publicKeyFile: ${JSON.stringify(keys.publicKeyFile)}, allow: [restart, stop, start, apply, rollback, release, snapshot]}`,
        extraYaml,
        'tasks:',
        tasksYaml,
      ].join('\n');
      const fx = await startFaultExporter(exporterDir, yaml);
      exporters.push(fx);
      return fx;
    },
    async stop() {
      for (const x of exporters) if (x.alive()) await x.stop();
      await rig.stopCollector();
      await broker.stop();
      tmp.cleanup();
    },
  };
  return rig;
}

/** Waits until the collector lists the node online with its tasks. */
export async function nodeOnline(rig: EdgeRig): Promise<void> {
  await eventually(`node ${rig.node} online at the collector`, async () => {
    const { nodes } = await rig.api<{ nodes: Array<{ node: string; status: string; tasks: unknown[] }> }>('/api/nodes');
    const n = nodes.find((x) => x.node === rig.node);
    return n?.status === 'online' && n.tasks.length > 0;
  });
}

/** The exporter's value of a metric (summed over series matching `labels`). */
export async function exporterValue(fx: FaultExporter, name: string, labels: Record<string, string> = {}): Promise<number> {
  return fx.sum(name, labels);
}

/** The http-server fixture as the node's task `name` on `port` (GET /fail makes it answer 500). */
export function webTask(port: number, name = 'web', extra = ''): string {
  return `  - name: ${name}\n    command: [node, ${fixture('http-server.js')}]\n    env: {PORT: ${port}}\n    terminationGracePeriodSeconds: 2\n${extra}`;
}

/**
 * A rig with its collector up and one exporter running `tasksYaml`, online at the collector and holding
 * the collector's edge rule set (version >= 1); `skip` when Mosquitto is missing.
 */
export async function startedRig(rulesYaml: string, tasksYaml: (port: number) => string, options: { collector?: string; exporter?: string } = {}): Promise<{ rig: EdgeRig; fx: FaultExporter; port: number } | { skip: string }> {
  const r = await edgeRig(rulesYaml, options.collector ?? 'remediation: {verifySeconds: 2}');
  if ('skip' in r) return r;
  try {
    const port = await freePort();
    await r.startCollector();
    const fx = await r.startExporter(tasksYaml(port), options.exporter ?? 'rules: {verifySeconds: 2}');
    await nodeOnline(r);
    await eventually('the edge rule set pushed and verified', async () => (await fx.sum('edgewatch_exporter_rule_set_version', { source: 'cloud' })) >= 1);
    return { rig: r, fx, port };
  } catch (err) {
    await r.stop();
    throw err;
  }
}

/** What {@link useStartedRig} set up for a test file: read it inside the tests (after `before` ran). */
export interface RigState {
  rig?: EdgeRig;
  fx?: FaultExporter;
  port: number;
  /** Why the file's tests skip (no Mosquitto outside CI), or false. */
  skip: string | false;
}

/**
 * Registers the `before` and `after` of a test file around {@link startedRig}: the rig starts once, its
 * task serves before the tests run, and it stops after them. `options` may be computed in `before` (a
 * webhook receiver's URL, say).
 */
export function useStartedRig(
  rulesYaml: string,
  tasksYaml: (port: number) => string,
  options: () => Promise<{ collector?: string; exporter?: string }> | { collector?: string; exporter?: string } = () => ({}),
): RigState {
  const state: RigState = { port: 0, skip: false };
  before(async () => {
    const r = await startedRig(rulesYaml, tasksYaml, await options());
    if ('skip' in r) {
      state.skip = r.skip;
      return;
    }
    Object.assign(state, r);
    await eventually('the task to serve', async () => (await fetch(`http://127.0.0.1:${r.port}/`)).ok);
  });
  after(async () => {
    await state.rig?.stop();
  });
  return state;
}
