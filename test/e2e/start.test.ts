import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/paths.js';
import { freePort } from '../support/ports.js';
import { sampleValue, scrape } from '../support/prom-text.js';
import { startEdgewatch, type StartedEdgewatch } from '../support/start-process.js';
import { eventually } from '../support/wait.js';

const NODE = 'edge-local';

interface Incident {
  id: string;
  rule: string;
  status: string;
  labels: { node?: string; task?: string };
  actions: { type: string; commandId?: string; result?: string }[];
}

describe('edgewatch start (npm start): the whole stack in one command', () => {
  const tmp = tempDir('edgewatch-start-');
  let run: StartedEdgewatch;

  before(async () => {
    run = await startEdgewatch(tmp.dir);
  });
  after(async () => {
    await run?.stop();
    tmp.cleanup();
  });

  it('prints where everything is, with the ports it was given', () => {
    const out = run.stdout();
    const first = out.split('\n').find((l) => l.startsWith('  '));
    assert.match(first ?? '', new RegExp(`^  Console +${run.api}/ `), 'the console is the first place to open');
    assert.match(out, new RegExp(`Incidents +${run.api}/api/incidents`));
    assert.match(out, new RegExp(`Nodes +${run.api}/api/nodes`));
    assert.match(out, new RegExp(`Collector metrics ${run.api}/metrics`));
    assert.match(out, new RegExp(`Exporter metrics +${run.exporter}/metrics`));
    assert.match(out, /curl -s -H "Authorization: Bearer \$\(cat [^)]+admin\.token\)" http:\/\/127\.0\.0\.1:\d+\/api\/incidents/);
    assert.doesNotMatch(out, /note: /, 'every port it was given was free');
  });

  it('the exporter serves the example tasks, shipping to the collector and connected to its broker', async () => {
    const samples = await eventually('api and loadgen up', async () => {
      const s = (await scrape(`${run.exporter}/metrics`)).samples;
      const up = (task: string) => sampleValue(s, 'edgewatch_task_up', { node: NODE, task });
      return up('api') === 1 && up('loadgen') === 1 && s;
    });
    // Before its first run the job reads pending (the exporter never reports its initial scheduled state).
    const cleanup = ['pending', 'scheduled', 'running', 'succeeded'].map((state) => sampleValue(samples, 'edgewatch_task_state', { node: NODE, task: 'cleanup', state }) ?? 0);
    assert.equal(cleanup.reduce((a, b) => a + b), 1, 'cleanup, the cron job, is waiting for its schedule, running or done');
    await eventually('requests counted from the api log lines', async () => (sampleValue((await scrape(`${run.exporter}/metrics`)).samples, 'edgewatch_task_requests_total', { node: NODE, task: 'api', code_class: '2xx' }) ?? 0) > 0);
    await eventually('log records stored by the collector', async () => (sampleValue((await scrape(`${run.api}/metrics`)).samples, 'edgewatch_collector_ingested_records_total', { input: 'forward' }) ?? 0) > 0);
  });

  it('the API refuses a caller without the token start made (401), and a wrong one', async () => {
    const none = await fetch(`${run.api}/api/nodes`);
    assert.equal(none.status, 401);
    assert.match(((await none.json()) as { message: string }).message, /credentials required/);
    assert.equal((await fetch(`${run.api}/api/nodes`, { headers: { authorization: 'Bearer ewt_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } })).status, 401);
  });

  it('the collector sees the node online with its tasks (/api/nodes)', async () => {
    const node = await eventually('edge-local online with three tasks', async () => {
      const body = (await (await run.apiFetch('/api/nodes')).json()) as { nodes: { node: string; status: string; tasks: unknown[] }[] };
      const n = body.nodes.find((x) => x.node === NODE);
      return n?.status === 'online' && n.tasks.length === 3 && n;
    });
    assert.equal(node.status, 'online');
  });

  // The scripted fault (examples/start/exporter.yaml): api answers 500 for 3 s of every 40 s, loadgen calls 3 times a second.
  it('the consecutive-5xx rule opens an incident that reaches a restart of api within a minute', async () => {
    const incident = await eventually(
      'a consecutive-5xx incident for edge-local/api with a restart done',
      async () => {
        const res = await run.apiFetch('/api/incidents');
        if (!res.ok) return false;
        const { incidents } = (await res.json()) as { incidents: Incident[] };
        return incidents.find((i) => i.rule === 'consecutive-5xx' && i.labels.node === NODE && i.labels.task === 'api' && i.actions.some((a) => a.type === 'restart' && a.result === 'done'));
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    assert.ok(['firing', 'remediating', 'resolved', 'escalated'].includes(incident.status), incident.status);
    await eventually(
      'the exporter restarted api on the command',
      async () => (sampleValue((await scrape(`${run.exporter}/metrics`)).samples, 'edgewatch_task_restarts_total', { node: NODE, task: 'api', reason: 'Command' }) ?? 0) >= 1,
      { timeoutMs: 15_000 },
    );
  });

  it('SIGTERM stops the exporter, its tasks and the collector, and exits 0', async () => {
    const pids = run.taskPids();
    assert.ok(pids.length >= 2, `task pids from the log: ${pids.join(', ')}`);
    const exit = await run.stop();
    assert.equal(exit.code, 0, run.output());
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/, `task process ${pid} is gone`);
    await assert.rejects(fetch(`${run.api}/healthz`), 'the collector is down');
  });
});

describe('edgewatch start: ports', () => {
  const tmp = tempDir('edgewatch-start-ports-');
  const held: Server[] = [];
  after(async () => {
    for (const s of held) await new Promise((r) => s.close(r));
    tmp.cleanup();
  });

  const hold = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => (held.push(s), resolve(true)));
    });

  it('a port named on the command line that is taken fails at once, naming the flag', async () => {
    const port = await freePort();
    assert.ok(await hold(port));
    const r = runCli(['start', '--http', String(port), '--data-dir', tmp.dir]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`127\\.0\\.0\\.1:${port} \\(--http, the collector API and /metrics\\) is already in use: choose another with --http PORT`));
  });

  it('a default port that is taken (1883, as with a Mosquitto running) falls back to a free one and says so', async () => {
    // Taken either way: already by the machine's broker, or by this test until start has chosen (a
    // moment only, since other tests look for a shared broker there).
    const mine = await hold(1883);
    const run = await startEdgewatch(tmp.dir, { mqtt: undefined }).finally(async () => {
      if (mine) await new Promise((r) => held.pop()!.close(r));
    });
    try {
      assert.match(run.stdout(), /note: port 1883 \(embedded MQTT broker\) is taken on 127\.0\.0\.1: using (\d+) instead \(--mqtt PORT to choose\)/);
      const port = /using (\d+) instead \(--mqtt/.exec(run.stdout())![1];
      assert.match(run.stdout(), new RegExp(`MQTT broker +mqtt://127\\.0\\.0\\.1:${port} \\(embedded\\)`));
    } finally {
      await run.stop();
    }
  });

  it('--help says what start runs, its ports and flags, and how to point Prometheus at it', () => {
    const r = runCli(['start', '--help']);
    assert.equal(r.code, 0);
    for (const s of ['--http PORT', '--metrics PORT', '--data-dir DIR', '--mqtt PORT', 'alerts/prometheus/prometheus.yml', 'one process', 'SIGTERM']) assert.ok(r.stdout.includes(s), s);
    assert.match(runCli(['--help']).stdout, /^ {2}start +all-in-one/m);
  });
});
