// Guards issue 12: a spool dir deleted while the exporter ran crashed it (ENOENT).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { faultTasks, killGroups, noTaskLeft, startFaultExporter, type FaultExporter } from '../../support/fault-exporter.js';
import { tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { eventually } from '../../support/wait.js';

describe('a spool dir deleted while the exporter runs', { timeout: 120_000 }, () => {
  const tmp = tempDir('edgewatch-deleted-');
  const started: FaultExporter[] = [];
  after(async () => {
    for (const e of started) if (e.alive()) await e.stop('SIGKILL');
    killGroups(started.flatMap((e) => e.taskGroups()));
    tmp.cleanup();
  });

  it('counts what it held as dropped, says why in /readyz, keeps supervising, and spools again in a new dir', async () => {
    const spool = join(tmp.dir, 'spool');
    const node = { node: 'deleted' };
    const exporter = await startFaultExporter(tmp.dir, `node: deleted\nstate: {dir: ${join(tmp.dir, 'state')}}\nspool: {dir: ${spool}}\nforward: {address: "127.0.0.1:${await freePort()}", retryMaxSeconds: 2}\n${faultTasks()}`);
    started.push(exporter);
    await eventually('records in the spool', async () => (await exporter.sum('edgewatch_spool_records', node)) > 100);
    const held = await exporter.sum('edgewatch_spool_records', node);
    const restarts = await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' });

    // /readyz is watched from before the deletion: the exporter recreates the dir within seconds
    const seen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const r = await exporter.readyz().catch(() => undefined);
        if (r && r.status === 503) seen.push(r.text);
        await new Promise((res) => setTimeout(res, 20));
      }
    })();
    rmSync(spool, { recursive: true, force: true });

    await eventually('the records that were in the deleted dir counted as dropped', async () => (await exporter.sum('edgewatch_dropped_records_total', { ...node, reason: 'spool_error' })) >= held, { timeoutMs: 20_000 });
    await eventually('/readyz ready again', async () => (await exporter.readyz()).status === 200, { timeoutMs: 30_000 });
    watching = false;
    await watcher;
    assert.ok(seen.some((t) => t.includes(`spool: spool.dir ${spool}: the directory was removed`)), `/readyz said why: ${JSON.stringify(seen.slice(0, 3))}`);
    assert.match(exporter.output(), /"msg":"spool degraded"[^\n]*"reason":"ENOENT"/);

    await eventually('records spooled in the recreated dir', async () => existsSync(spool) && readdirSync(spool).some((f) => f.endsWith('.seg')) && (await exporter.sum('edgewatch_spool_records', node)) > 50);
    assert.ok((await exporter.sum('edgewatch_task_restarts_total', { ...node, task: 'crasher' })) > restarts, 'the crashing task went on being restarted');
    assert.equal(await exporter.sum('edgewatch_task_up', { ...node, task: 'quiet' }), 1);
    assert.ok(exporter.alive());

    const groups = exporter.taskGroups();
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups);
  });
});
