import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCollectorConfig } from '../../../collector/config.js';
import { startCli } from '../../support/cli.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

/** One collector replica run as `edgewatch collector`, on fixed ports so it can be started again. */
export interface Replica {
  name: string;
  base: string;
  forwardPort: number;
  configFile: string;
  proc: ReturnType<typeof startCli> | undefined;
  start(): Promise<void>;
  /** SIGKILL, SIGSTOP, SIGCONT to the node process itself. */
  signal(sig: NodeJS.Signals): void;
  killed(): Promise<void>;
  cluster(): Promise<ClusterView>;
  api<T = unknown>(path: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: T }>;
  output(): string;
}

export interface ClusterView {
  replica: string;
  role: 'leader' | 'standby';
  epoch: number | null;
  leader: { replica: string; address: string | null; epoch: number } | null;
  replicas: Array<{ replica: string; leader: boolean }>;
}

/** What both replicas share: PostgreSQL (a test schema), the broker, the keys and the webhook. */
export interface Shared {
  dir: string;
  pgUrl: string;
  schema: string;
  brokerUrl: string;
  clientIdPrefix: string;
  privateKeyFile: string;
  hookUrl: string;
  leaseSeconds: number;
  renewSeconds: number;
  verifySeconds: number;
}

/** The YAML of replica `name`. */
export function replicaYaml(s: Shared, name: string, http: number, forward: number): string {
  return [
    `http: {listen: "127.0.0.1:${http}"}`,
    `forward: {listen: "127.0.0.1:${forward}", heartbeat: false}`,
    `mqtt: {url: "${s.brokerUrl}", clientId: "${s.clientIdPrefix}"}`,
    `commands: {privateKeyFile: ${JSON.stringify(s.privateKeyFile)}, ackTimeoutSeconds: 2}`,
    `nodes: {leaseSeconds: 5, credentialsKeyFile: ${JSON.stringify(join(s.dir, 'node-credentials.key'))}}`,
    `store: {url: "${s.pgUrl}", schema: ${s.schema}, path: ${JSON.stringify(join(s.dir, name, 'collector.db'))}}`,
    `cluster: {replica: ${name}, leaseSeconds: ${s.leaseSeconds}, renewSeconds: ${s.renewSeconds}, advertiseUrl: "http://127.0.0.1:${http}"}`,
    `notify: {webhooks: [{url: "${s.hookUrl}", backoffInitialSeconds: 0.1}]}`,
    `remediation: {verifySeconds: ${s.verifySeconds}}`,
  ].join('\n');
}

/** A replica's config written to disk (not started). */
export async function replica(s: Shared, name: string): Promise<Replica> {
  const http = await freePort();
  const forwardPort = await freePort();
  mkdirSync(join(s.dir, name), { recursive: true });
  const configFile = join(s.dir, name, 'collector.yaml');
  writeFileSync(configFile, replicaYaml(s, name, http, forwardPort));
  const base = `http://127.0.0.1:${http}`;
  const r: Replica = {
    name,
    base,
    forwardPort,
    configFile,
    proc: undefined,
    async start() {
      const proc = startCli(['collector', '--config', configFile]);
      r.proc = proc;
      try {
        await eventually(`replica ${name} to be ready`, async () => (await fetch(`${base}/readyz`)).ok, { timeoutMs: 20_000 });
      } catch (err) {
        proc.child.kill('SIGKILL');
        await proc.exited;
        throw new Error(`${(err as Error).message}\n${proc.output()}`);
      }
    },
    signal(sig) {
      r.proc?.child.kill(sig);
    },
    async killed() {
      if (!r.proc || r.proc.child.exitCode !== null || r.proc.child.signalCode !== null) return;
      r.proc.child.kill('SIGCONT');
      r.proc.child.kill('SIGKILL');
      await r.proc.exited;
    },
    async cluster() {
      return (await r.api<ClusterView>('/api/cluster')).body;
    },
    async api<T>(path: string, init: { method?: string; body?: unknown } = {}) {
      const res = await fetch(base + path, {
        method: init.method ?? 'GET',
        signal: AbortSignal.timeout(5000),
        ...(init.body !== undefined ? { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } } : {}),
      });
      return { status: res.status, body: (await res.json()) as T };
    },
    output: () => r.proc?.output() ?? '',
  };
  return r;
}

/** The config a test helper (node credentials) reads: the first replica's. */
export function sharedConfig(r: Replica, s: Shared) {
  return loadCollectorConfig(replicaYaml(s, r.name, 1, 1));
}
