// Guards issue 12: a spool on a full disk crashed the exporter (uncaught ENOSPC in Spool.flush), orphaned
// its tasks, and crashed again on every restart.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { faultTasks, killGroups, noTaskLeft, startFaultExporter, type FaultExporter } from '../../support/fault-exporter.js';
import { Mounts, mountsAllowed } from '../../support/mounts.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

describe('a spool on a full disk (256 KiB tmpfs, collector unreachable)', { timeout: 120_000 }, () => {
  const skip = mountsAllowed().skip;
  const tmp = tempDir('edgewatch-full-');
  const mounts = new Mounts();
  const started: FaultExporter[] = [];
  after(async () => {
    for (const e of started) if (e.alive()) await e.stop('SIGKILL');
    killGroups(started.flatMap((e) => e.taskGroups()));
    mounts.cleanup();
    tmp.cleanup();
  });

  it('degrades: records dropped and counted, /readyz says why, tasks supervised; a restart on the full disk comes up; space back, spooling resumes', { skip }, async () => {
    const spool = join(tmp.dir, 'spool');
    mounts.tmpfs(spool, '256k');
    const yaml = `node: full-disk\nstate: {dir: ${join(tmp.dir, 'state')}}\nspool: {dir: ${spool}}\nforward: {address: "127.0.0.1:${await freePort()}", retryMaxSeconds: 2}\n${faultTasks()}`;
    const node = { node: 'full-disk' };

    let exporter = await startFaultExporter(tmp.dir, yaml);
    started.push(exporter);
    const why = await eventually('/readyz to say the spool disk is full', async () => {
      const r = await exporter.readyz();
      return r.status === 503 && /spool: spool\.dir .*no space left/.test(r.text) && r.text;
    }, { timeoutMs: 30_000 });
    assert.match(why, new RegExp(spool.replaceAll('/', '\\/')), 'names the directory');
    const dropped = await exporter.sum('edgewatch_dropped_records_total', { ...node, reason: 'spool_error' });
    assert.ok(dropped > 0, 'dropped records are counted as spool_error');
    assert.equal(await exporter.sum('edgewatch_exporter_degraded', { ...node, component: 'spool', reason: 'ENOSPC' }), 1);

    const restarts = await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' });
    await eventually('the crashing task to be restarted while the disk is full', async () => (await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' })) >= restarts + 3);
    await eventually('more records dropped as the chatty task goes on', async () => (await exporter.sum('edgewatch_dropped_records_total', { ...node, reason: 'spool_error' })) > dropped);
    assert.ok(exporter.alive(), 'the exporter is alive');
    assert.equal(await exporter.sum('edgewatch_task_up', { ...node, task: 'quiet' }), 1, 'the quiet task runs');
    assert.equal([...exporter.output().matchAll(/"msg":"spool degraded"/g)].length, 1, 'one log line for the problem, however often it recurs');
    assert.doesNotMatch(exporter.output(), /at SpoolFiles|uncaught|fatal error/i);

    // stopped on the full disk, nothing is left behind, and it starts again on the same full disk
    let groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);
    exporter = await startFaultExporter(tmp.dir, yaml);
    started.push(exporter);
    await eventually('/readyz to say the spool disk is still full after the restart', async () => {
      const r = await exporter.readyz();
      return r.status === 503 && /no space left/.test(r.text);
    }, { timeoutMs: 30_000 });
    await eventually('the crashing task restarted by the new exporter', async () => (await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' })) >= 2);

    // space comes back: the spool takes records again and /readyz is ready
    mounts.remountTmpfs(spool, 'size=16m');
    await eventually('/readyz ready once there is space', async () => (await exporter.readyz()).status === 200, { timeoutMs: 45_000 });
    assert.equal(await exporter.sum('edgewatch_exporter_degraded', { ...node, component: 'spool' }), 0);
    const depth = await exporter.sum('edgewatch_spool_records', node);
    await eventually('records spooled again', async () => (await exporter.sum('edgewatch_spool_records', node)) > depth + 50);
    assert.match(exporter.output(), /"msg":"spool recovered"/);

    groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);
  });
});
