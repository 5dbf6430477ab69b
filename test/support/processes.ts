import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli } from './cli.js';
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

/** A collector run as `edgewatch collector` on fixed ports (so it can be restarted on the same ones). */
export async function collectorProcess(dir: string, ports?: { http: number; forward: number }) {
  const p = ports ?? { http: await freePort(), forward: await freePort() };
  const cfg = join(dir, 'collector.yaml');
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${p.http}"}\nforward: {listen: "127.0.0.1:${p.forward}", heartbeat: false}\nmqtt: {embedded: {listen: "127.0.0.1:0"}}\nstore: {path: ${JSON.stringify(join(dir, 'collector.db'))}}\n`);
  const proc = startCli(['collector', '--config', cfg]);
  const base = `http://127.0.0.1:${p.http}`;
  await readyOrKilled(proc, 'the collector', `${base}/readyz`);
  return { ...proc, ports: p, base };
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
