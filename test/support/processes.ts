import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startCli } from './cli.js';
import { freePort } from './ports.js';
import { parseExposition, sampleValue } from './prom-text.js';
import { eventually } from './wait.js';

/**
 * Waits for `url` to answer 2xx; on failure the process is killed before the error is thrown, so a test
 * that fails here leaves no collector or exporter (and no task) running after it.
 */
async function readyOrKilled(proc: ReturnType<typeof startCli>, what: string, url: string): Promise<void> {
  try {
    await eventually(`${what} to be ready`, async () => (await fetch(url)).ok, { timeoutMs: 20_000 });
  } catch (err) {
    proc.child.kill('SIGKILL');
    await proc.exited;
    throw new Error(`${(err as Error).message}\n${proc.output()}`);
  }
}

/** The config file of a collector in `dir` on these ports; a node's login can be made from it before the collector runs. */
export function collectorConfigFile(dir: string, p: { http: number; forward: number }): string {
  const cfg = join(dir, 'collector.yaml');
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${p.http}"}\nforward: {listen: "127.0.0.1:${p.forward}", heartbeat: false}\nmqtt: {embedded: {listen: "127.0.0.1:0"}}\nstore: {path: ${JSON.stringify(join(dir, 'collector.db'))}}\n`);
  return cfg;
}

/** A collector run as `edgewatch collector` on fixed ports (so it can be restarted on the same ones). */
export async function collectorProcess(dir: string, ports?: { http: number; forward: number }) {
  const p = ports ?? { http: await freePort(), forward: await freePort() };
  const cfg = collectorConfigFile(dir, p);
  const proc = startCli(['collector', '--config', cfg]);
  const base = `http://127.0.0.1:${p.http}`;
  await readyOrKilled(proc, 'the collector', `${base}/readyz`);
  return { ...proc, ports: p, base, login: (name: string) => nodeForwardLogin(cfg, name, join(dir, 'secrets', name)) };
}

/**
 * `edgewatch nodes add NAME` against a collector config file, with the secrets written to `outDir`:
 * the forward keys of the fragment it prints, as a YAML flow mapping body.
 */
export function nodeForwardLogin(collectorConfig: string, name: string, outDir: string): string {
  const r = runCli(['nodes', 'add', name, '--config', collectorConfig, '--out-dir', outDir]);
  if (r.code !== 0) throw new Error(`edgewatch nodes add ${name} failed: ${r.stderr}`);
  return `username: ${name}, passwordFile: ${JSON.stringify(join(outDir, 'password'))}, sharedKeyFile: ${JSON.stringify(join(outDir, 'shared-key'))}`;
}

/** An exporter run as `edgewatch exporter` with the given YAML (http port chosen here). */
export async function exporterProcess(dir: string, yaml: string, port?: number) {
  const http = port ?? (await freePort());
  const cfg = join(dir, 'exporter.yaml');
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${http}"}\nstate: {dir: ${dir}/state}\nspool: {dir: ${dir}/spool}\n${yaml}`);
  const proc = startCli(['exporter', '--config', cfg]);
  const base = `http://127.0.0.1:${http}`;
  await readyOrKilled(proc, 'the exporter', `${base}/readyz`);
  return {
    ...proc,
    port: http,
    base,
    async metric(name: string, labels: Record<string, string> = {}) {
      return sampleValue(parseExposition(await (await fetch(`${base}/metrics`)).text()), name, labels);
    },
  };
}
