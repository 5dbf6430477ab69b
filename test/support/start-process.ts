import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { edgewatchBin } from './cli.js';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { eventually } from './wait.js';

/** The flags of `edgewatch start` that take a port. */
export type StartPortFlag = 'http' | 'metrics' | 'forward' | 'mqtt' | 'service-port';

/** A running `edgewatch start` process and where its endpoints are. */
export interface StartedEdgewatch {
  /** The collector's base URL (API and its /metrics). */
  readonly api: string;
  /** The exporter's base URL (/metrics). */
  readonly exporter: string;
  /** The file of one of the tokens start made in its data dir (`admin`, `alertmanager`). */
  tokenFile(name: 'admin' | 'alertmanager'): string;
  /** fetch on the collector's API with the admin token. */
  apiFetch(path: string, init?: RequestInit): Promise<Response>;
  readonly ports: Partial<Record<StartPortFlag, number>>;
  /** What start printed on stdout (the banner). */
  stdout(): string;
  /** stdout and stderr (the JSON logs), for failure messages. */
  output(): string;
  /** Pids of the task processes the exporter logged as started. */
  taskPids(): number[];
  /** SIGTERM, then the exit (SIGKILL after 20 s). */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * The command that runs `edgewatch ...args`: bin/edgewatch as users run it when the tests were built into
 * dist/, or the CLI of the build these tests came from (tsc --outDir dist-x) otherwise.
 */
function edgewatchCommand(args: string[]): [string, string[]] {
  const buildDir = fileURLToPath(new URL('../../', import.meta.url));
  if (resolve(buildDir) === resolve(repoRoot, 'dist')) return [edgewatchBin, args];
  const entry = pathToFileURL(join(buildDir, 'cli', 'main.js')).href;
  return [process.execPath, ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(entry)}); process.exitCode = await main(process.argv.slice(1));`, ...args]];
}

/**
 * Starts `edgewatch start --data-dir <dir>/data` with a free port for every port flag (a flag mapped to
 * undefined in `ports` is left to start's default) and waits for its banner.
 */
export async function startEdgewatch(dir: string, ports: Partial<Record<StartPortFlag, number | undefined>> = {}, extraArgs: string[] = []): Promise<StartedEdgewatch> {
  const chosen: Partial<Record<StartPortFlag, number>> = {};
  const args = ['start', '--data-dir', join(dir, 'data'), '--log-level', 'info', ...extraArgs];
  for (const flag of ['http', 'metrics', 'forward', 'mqtt', 'service-port'] as const) {
    if (flag in ports && ports[flag] === undefined) continue;
    chosen[flag] = ports[flag] ?? (await freePort());
    args.push(`--${flag}`, String(chosen[flag]));
  }
  const [cmd, argv] = edgewatchCommand(args);
  const child = spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let all = '';
  child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (all += d.toString())));
  child.stderr.on('data', (d: Buffer) => (all = (all + d.toString()).slice(-200_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const exit = await exited;
    clearTimeout(timer);
    return exit;
  };
  try {
    await eventually('edgewatch start to print its banner', () => {
      if (gone) throw new Error(`edgewatch start exited:\n${all}`);
      return stdout.includes('Ctrl-C stops everything');
    }, { timeoutMs: 30_000, intervalMs: 50 });
  } catch (err) {
    await stop();
    throw err;
  }
  const url = (label: string) => {
    const m = new RegExp(`${label} +(http://[\\d.]+:\\d+)`).exec(stdout);
    if (!m) throw new Error(`no "${label}" line in:\n${stdout}`);
    return m[1]!;
  };
  const api = url('Collector metrics').replace(/\/metrics$/, '');
  const tokenFile = (name: 'admin' | 'alertmanager') => join(dir, 'data', `${name}.token`);
  const admin = readFileSync(tokenFile('admin'), 'utf8').trim();
  return {
    api,
    tokenFile,
    apiFetch: (path, init = {}) => fetch(api + path, { ...init, headers: { authorization: `Bearer ${admin}`, ...(init.headers as Record<string, string> | undefined) } }),
    exporter: url('Exporter metrics').replace(/\/metrics$/, ''),
    ports: chosen,
    stdout: () => stdout,
    output: () => all,
    taskPids: () => [...all.matchAll(/"msg":"task started"[^\n]*?"pid":(\d+)/g)].map((m) => Number(m[1])),
    stop,
  };
}
