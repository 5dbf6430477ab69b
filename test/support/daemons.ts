import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { repoRoot } from './paths.js';


/** A child process started by a test, with its output kept for failure messages. */
export interface Daemon {
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `cmd args` and resolves once `ready()` returns true (polling), or rejects with its output. */
export async function startDaemon(cmd: string, args: string[], ready: () => Promise<boolean>, timeoutMs = 20_000): Promise<Daemon> {
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => {
    output = (output + b.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  child.on('exit', () => (exited = true));
  const daemon: Daemon = {
    output: () => output,
    async stop() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`${cmd} exited before it was ready:\n${output}`);
    if (await ready().catch(() => false)) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop();
      throw new Error(`${cmd} not ready after ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** GET url answers 2xx. */
export async function answers(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.ok;
}

/** An HTTP server on 127.0.0.1 that records the JSON bodies POSTed to it. */
export async function webhookRecorder(): Promise<{ url: string; bodies: { path: string; body: unknown; authorization?: string }[]; close(): Promise<void> }> {
  const bodies: { path: string; body: unknown; authorization?: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        bodies.push({ path: req.url ?? '/', body: JSON.parse(Buffer.concat(chunks).toString('utf8')), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A real Alertmanager on a free loopback port, with `configFile` and its data under `dataDir`. */
export async function startAlertmanager(configFile: string, dataDir: string): Promise<{ daemon: Daemon; url: string; port: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    'prometheus-alertmanager',
    [`--config.file=${configFile}`, `--storage.path=${join(dataDir, 'alertmanager')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    () => answers(`${url}/-/ready`),
  );
  return { daemon, url, port };
}
