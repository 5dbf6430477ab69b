// Guards kubeedge#4501 (logs written while the edge link is down get lost): the spool must deliver
// everything, once, across a collector outage and an exporter crash.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture, tempDir } from '../support/paths.js';
import { freePort } from '../support/ports.js';
import { collectorConfigFile, collectorProcess, exporterProcess, nodeForwardLogin } from '../support/processes.js';
import { eventually } from '../support/wait.js';

interface LogsBody {
  records: Array<{ node: string; task: string; attrs?: { seq?: number; pid?: number } }>;
}

async function records(base: string, node: string): Promise<LogsBody['records']> {
  const res = await fetch(`${base}/api/logs?node=${node}&limit=5000&since=2000-01-01T00:00:00Z`);
  return ((await res.json()) as LogsBody).records;
}

const outageSeconds = Number(process.env.EDGEWATCH_TEST_OUTAGE_SECONDS ?? 60);

describe('log delivery across outages', { timeout: (outageSeconds + 120) * 1000 }, () => {
  const tmp = tempDir('edgewatch-delivery-');
  const killers: Array<() => void> = [];
  after(() => {
    for (const k of killers) k();
    tmp.cleanup();
  });

  it(`delivers every record exactly once when the collector is down for ${outageSeconds} s`, async () => {
    const cdir = join(tmp.dir, 'c1');
    const edir = join(tmp.dir, 'e1');
    mkdirSync(cdir);
    mkdirSync(edir);
    let collector = await collectorProcess(cdir);
    killers.push(() => collector.child.kill('SIGKILL'));
    const rate = 40;
    const count = rate * (outageSeconds + 15);
    const exporter = await exporterProcess(
      edir,
      `node: edge-a\nforward: {address: "127.0.0.1:${collector.ports.forward}", ackTimeoutMs: 2000, retryMaxSeconds: 2, ${collector.login('edge-a')}}\ntasks:\n  - name: numbered\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: ${count}, RATE: ${rate}}\n`,
    );
    killers.push(() => exporter.child.kill('SIGKILL'));
    await eventually('records to reach the collector', async () => (await records(collector.base, 'edge-a')).length >= 50);
    collector.child.kill('SIGKILL');
    await collector.exited;
    await new Promise((r) => setTimeout(r, outageSeconds * 1000)); // the outage itself is the point of the test
    assert.ok((await exporter.metric('edgewatch_ship_failures_total', { node: 'edge-a' }))! > 0, 'the exporter saw the outage');
    collector = await collectorProcess(cdir, collector.ports);
    const got = await eventually(
      `all ${count} records`,
      async () => {
        const r = await records(collector.base, 'edge-a');
        return r.length >= count && r;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );
    const seqs = got.map((r) => r.attrs?.seq);
    assert.equal(new Set(seqs).size, count, 'every numbered line arrived');
    assert.equal(got.length, count, 'none arrived twice');
    assert.equal(await exporter.metric('edgewatch_spool_records', { node: 'edge-a' }), 0, 'the spool drained');
    exporter.child.kill('SIGTERM');
    await exporter.exited;
    collector.child.kill('SIGTERM');
    await collector.exited;
  });

  it('delivers the spool of an exporter that was SIGKILLed while the collector was away', async () => {
    const cdir = join(tmp.dir, 'c2');
    const edir = join(tmp.dir, 'e2');
    mkdirSync(cdir);
    mkdirSync(edir);
    const ports = { http: await freePort(), forward: await freePort() };
    // the node's credentials are made before the collector first runs (edgewatch nodes add)
    const login = nodeForwardLogin(collectorConfigFile(cdir, ports), 'edge-b', join(cdir, 'secrets', 'edge-b'));
    const yaml = `node: edge-b\nforward: {address: "127.0.0.1:${ports.forward}", ackTimeoutMs: 2000, retryMaxSeconds: 1, ${login}}\ntasks:\n  - name: burst\n    command: [node, ${fixture('json-lines.js')}]\n    env: {COUNT: 300}\n`;
    let exporter = await exporterProcess(edir, yaml);
    killers.push(() => exporter.child.kill('SIGKILL'));
    await eventually('300 records in the spool', async () => (await exporter.metric('edgewatch_spool_records', { node: 'edge-b' })) === 300);
    exporter.child.kill('SIGKILL');
    await exporter.exited;
    const collector = await collectorProcess(cdir, ports);
    killers.push(() => collector.child.kill('SIGKILL'));
    exporter = await exporterProcess(edir, yaml, exporter.port);
    const got = await eventually('the first run\'s 300 records', async () => {
      const r = await records(collector.base, 'edge-b');
      const pids = [...new Set(r.map((x) => x.attrs?.pid))];
      const first = r.filter((x) => x.attrs?.pid === pids[0]);
      return pids.length >= 1 && first.length >= 300 && first;
    });
    assert.equal(got.length, 300);
    assert.equal(new Set(got.map((r) => r.attrs?.seq)).size, 300);
    const firstPid = got[0]!.attrs!.pid!;
    // the killed task may linger as a zombie until init reaps it
    await eventually('the task the killed exporter left behind to be gone', () => {
      try {
        return readFileSync(`/proc/${firstPid}/stat`, 'latin1').split(') ')[1]!.startsWith('Z');
      } catch {
        return true;
      }
    });
    exporter.child.kill('SIGTERM');
    await exporter.exited;
    collector.child.kill('SIGTERM');
    await collector.exited;
  });
});
