import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli } from './cli.js';
import { freePort } from './ports.js';
import { parseExposition, sampleValue } from './prom-text.js';
import { eventually } from './wait.js';

/** A collector run as `edgewatch collector` on fixed ports (so it can be restarted on the same ones). */
export async function collectorProcess(dir: string, ports?: { http: number; forward: number }) {
  const p = ports ?? { http: await freePort(), forward: await freePort() };
  const cfg = join(dir, 'collector.yaml');
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${p.http}"}\nforward: {listen: "127.0.0.1:${p.forward}", heartbeat: false}\nmqtt: {embedded: {listen: "127.0.0.1:0"}}\nstore: {path: ${JSON.stringify(join(dir, 'collector.db'))}}\n`);
  const proc = startCli(['collector', '--config', cfg]);
  const base = `http://127.0.0.1:${p.http}`;
  await eventually('the collector to be ready', async () => (await fetch(`${base}/readyz`)).ok, { timeoutMs: 20_000 });
  return { ...proc, ports: p, base };
}

/** An exporter run as `edgewatch exporter` with the given YAML (http port chosen here). */
export async function exporterProcess(dir: string, yaml: string, port?: number) {
  const http = port ?? (await freePort());
  const cfg = join(dir, 'exporter.yaml');
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${http}"}\nstate: {dir: ${dir}/state}\nspool: {dir: ${dir}/spool}\n${yaml}`);
  const proc = startCli(['exporter', '--config', cfg]);
  const base = `http://127.0.0.1:${http}`;
  await eventually('the exporter to be ready', async () => (await fetch(`${base}/readyz`)).ok, { timeoutMs: 20_000 });
  return {
    ...proc,
    port: http,
    base,
    async metric(name: string, labels: Record<string, string> = {}) {
      return sampleValue(parseExposition(await (await fetch(`${base}/metrics`)).text()), name, labels);
    },
  };
}
