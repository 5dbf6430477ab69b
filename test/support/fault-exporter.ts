import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli } from './cli.js';
import { fixture } from './paths.js';
import { freePort } from './ports.js';
import { parseExposition, type Sample } from './prom-text.js';
import { eventually } from './wait.js';

/**
 * The tasks every fault test supervises: one that crashes every 0.3 s and is restarted within 0.4 s (so a
 * test can see supervision go on), one that prints nothing (`sleep 3601`, the task the issue saw
 * orphaned), and one that prints JSON lines for the spool.
 */
export function faultTasks(rate = 200): string {
  return [
    'tasks:',
    '  - name: crasher',
    `    command: [node, ${fixture('crash.js')}]`,
    '    env: {DELAY_MS: 300}',
    '    backoff: {initialSeconds: 0.2, maxSeconds: 0.4}',
    '  - name: quiet',
    '    command: [sleep, "3601"]',
    '  - name: chatty',
    `    command: [node, ${fixture('json-lines.js')}]`,
    `    env: {COUNT: 100000000, RATE: ${rate}}`,
    '',
  ].join('\n');
}

/** Sum of every sample of `name` whose labels include `labels`. */
export function sumOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
}

/** Live (not zombie) processes whose process group is `pgid`, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** An `edgewatch exporter` process under test, with what a fault test asks of it. */
export interface FaultExporter {
  readonly base: string;
  readonly child: ReturnType<typeof startCli>['child'];
  readonly exited: ReturnType<typeof startCli>['exited'];
  output(): string;
  alive(): boolean;
  readyz(): Promise<{ status: number; text: string }>;
  samples(): Promise<Sample[]>;
  sum(name: string, labels?: Record<string, string>): Promise<number>;
  /** Process groups of every task process the exporter logged as started (a task's pid is its group). */
  taskGroups(): number[];
  /** Sends `signal` and waits for the exit (SIGKILL after 30 s). */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `edgewatch exporter` with `yaml` (http on a free port unless the yaml sets it) and waits until it
 * answers /healthz: a fault may keep it from ever being ready, and that is what the test looks at.
 */
export async function startFaultExporter(dir: string, yaml: string, env: NodeJS.ProcessEnv = {}): Promise<FaultExporter> {
  const port = await freePort();
  const cfg = join(dir, `exporter-${port}.yaml`);
  writeFileSync(cfg, `http: {listen: "127.0.0.1:${port}"}\n${yaml}`);
  const proc = startCli(['exporter', '--config', cfg, '--log-level', 'debug'], { env });
  const base = `http://127.0.0.1:${port}`;
  let gone = false;
  void proc.exited.then(() => (gone = true));
  const fx: FaultExporter = {
    base,
    child: proc.child,
    exited: proc.exited,
    output: proc.output,
    alive: () => !gone && proc.child.exitCode === null,
    async readyz() {
      const res = await fetch(`${base}/readyz`);
      return { status: res.status, text: await res.text() };
    },
    async samples() {
      return parseExposition(await (await fetch(`${base}/metrics`)).text());
    },
    async sum(name, labels = {}) {
      return sumOf(await fx.samples(), name, labels);
    },
    taskGroups: () => [...proc.output().matchAll(/"msg":"task started"[^\n]*?"pid":(\d+)/g)].map((m) => Number(m[1])),
    async stop(signal = 'SIGTERM') {
      if (!gone) proc.child.kill(signal);
      const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
      const exit = await proc.exited;
      clearTimeout(timer);
      return exit;
    },
  };
  try {
    await eventually('the exporter to answer /healthz', async () => {
      if (gone) throw new Error(`the exporter exited:\n${proc.output()}`);
      return (await fetch(`${base}/healthz`)).ok;
    }, { timeoutMs: 20_000, intervalMs: 50 });
  } catch (err) {
    await fx.stop('SIGKILL');
    throw err;
  }
  return fx;
}

/** Waits until none of `groups` has a live process left; fails naming the ones that stayed. */
export async function noTaskLeft(groups: number[], timeoutMs = 10_000): Promise<void> {
  try {
    await eventually(`no process left in the task groups ${groups.join(', ')}`, () => groups.every((g) => groupMembers(g).length === 0), { timeoutMs, intervalMs: 100 });
  } catch (err) {
    const left = groups.filter((g) => groupMembers(g).length > 0).map((g) => `group ${g}: pids ${groupMembers(g).join(' ')}`);
    throw new Error(`${(err as Error).message}; still running: ${left.join('; ')}`);
  }
}

/** SIGKILLs whatever is left in `groups` (an after hook's last resort, so a failed test orphans nothing). */
export function killGroups(groups: number[]): void {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
