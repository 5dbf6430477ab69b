// Guards issue 12: a spool dir remounted read-only crashed the exporter (EROFS in SpoolFiles.openSegment);
// read-only at start it died with one line that did not name spool.dir.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { faultTasks, killGroups, noTaskLeft, startFaultExporter, type FaultExporter } from '../../support/fault-exporter.js';
import { Mounts, mountsAllowed } from '../../support/mounts.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

describe('a read-only spool and state dir (a read-only bind mount)', { timeout: 120_000 }, () => {
  const skip = mountsAllowed().skip;
  const tmp = tempDir('edgewatch-ro-');
  const mounts = new Mounts();
  const started: FaultExporter[] = [];
  after(async () => {
    for (const e of started) if (e.alive()) await e.stop('SIGKILL');
    killGroups(started.flatMap((e) => e.taskGroups()));
    mounts.cleanup();
    tmp.cleanup();
  });

  // 1 MiB: 128 KiB segments, so a new segment file is opened every second or two
  const config = async (data: string, node: string) =>
    `node: ${node}\nstate: {dir: ${join(data, 'state')}}\nspool: {dir: ${join(data, 'spool')}, maxBytes: 1Mi}\nforward: {address: "127.0.0.1:${await freePort()}", retryMaxSeconds: 2}\n${faultTasks()}`;

  it('while running: records dropped and counted, /readyz names spool.dir and the pid file, tasks supervised; rw again, it recovers', { skip }, async () => {
    const data = join(tmp.dir, 'running');
    const node = { node: 'ro-running' };
    const exporter = await startFaultExporter(tmp.dir, await config(data, node.node));
    started.push(exporter);
    await eventually('records in the spool', async () => (await exporter.sum('edgewatch_spool_records', node)) > 100);
    assert.equal((await exporter.readyz()).status, 200);

    // files the exporter has open stay writable; every new file (a segment, pids.json) is refused: EROFS
    mounts.readOnlyOver(data);
    const why = await eventually('/readyz to say the spool is read-only', async () => {
      const r = await exporter.readyz();
      return r.status === 503 && /spool: spool\.dir \S+: read-only file system/.test(r.text) && r.text;
    }, { timeoutMs: 20_000 });
    // the crashing task's restarts rewrite pids.json in state.dir, which is read-only too
    await eventually('/readyz to name the pid file as well', async () => /pid_file: state\.dir: cannot write \S+pids\.json/.test((await exporter.readyz()).text));
    assert.ok(why.length > 0);
    assert.equal(await exporter.sum('edgewatch_exporter_degraded', { ...node, component: 'spool', reason: 'EROFS' }), 1);
    const restarts = await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' });
    await eventually('the crashing task restarted on the read-only disk', async () => (await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' })) >= restarts + 3);
    await eventually('records dropped as spool_error', async () => (await exporter.sum('edgewatch_dropped_records_total', { ...node, reason: 'spool_error' })) > 0);
    assert.ok(exporter.alive());

    mounts.unmount(data);
    await eventually('/readyz ready once the disk takes writes', async () => (await exporter.readyz()).status === 200, { timeoutMs: 45_000 });
    assert.equal(await exporter.sum('edgewatch_exporter_degraded', node), 0, 'no part degraded');
    const depth = await exporter.sum('edgewatch_spool_records', node);
    await eventually('records spooled again', async () => (await exporter.sum('edgewatch_spool_records', node)) > depth + 50);

    const groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);
  });

  it('at start: it starts, supervises, and says spool.dir is read-only; rw again, it opens the spool', { skip }, async () => {
    const data = join(tmp.dir, 'at-start');
    mkdirSync(join(data, 'spool'), { recursive: true });
    mounts.bindSelf(data);
    mounts.bindReadOnly(data, true);
    const node = { node: 'ro-start' };
    const exporter = await startFaultExporter(tmp.dir, await config(data, node.node));
    started.push(exporter);
    const r = await exporter.readyz();
    assert.equal(r.status, 503);
    assert.match(r.text, new RegExp(`spool: spool\\.dir ${join(data, 'spool').replaceAll('/', '\\/')}: read-only file system`));
    await eventually('the crashing task restarted', async () => (await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' })) >= 3);
    assert.equal(await exporter.sum('edgewatch_task_up', { ...node, task: 'quiet' }), 1);
    await eventually('records dropped as spool_error', async () => (await exporter.sum('edgewatch_dropped_records_total', { ...node, reason: 'spool_error' })) > 0);

    mounts.bindReadOnly(data, false);
    await eventually('/readyz ready once spool.dir is writable', async () => (await exporter.readyz()).status === 200, { timeoutMs: 45_000 });
    await eventually('records spooled', async () => (await exporter.sum('edgewatch_spool_records', node)) > 50);
    assert.ok(existsSync(join(data, 'spool', 'spool.json')));
    assert.ok(readdirSync(join(data, 'spool')).some((f) => f.endsWith('.seg')));

    const groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);
  });
});
