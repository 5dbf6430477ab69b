// Guards issue 12: tasks run in their own process groups, so an exporter that died by SIGKILL or a crash
// left them running with ppid 1, unsupervised.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { groupMembers, killGroups, noTaskLeft, startFaultExporter, type FaultExporter } from '../../support/fault-exporter.js';
import { fixture, tempDir } from '../../support/paths.js';
import { eventually } from '../../support/wait.js';

/** A crashing task, a silent one, a shell with two children in its group, and one that ignores SIGTERM. */
const TASKS = [
  'tasks:',
  '  - name: crasher',
  `    command: [node, ${fixture('crash.js')}]`,
  '    env: {DELAY_MS: 300}',
  '    backoff: {initialSeconds: 0.2, maxSeconds: 0.4}',
  '  - name: quiet',
  '    command: [sleep, "3601"]',
  '  - name: family',
  '    command: [sh, -c, "sleep 3602 & sleep 3603 & wait"]',
  '  - name: stubborn',
  `    command: [node, ${fixture('ignore-sigterm.js')}]`,
  '    terminationGracePeriodSeconds: 1',
  '',
].join('\n');

/** Children of `pid` (from /proc), e.g. the exporter's task watchdog. */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

describe('no orphans: however the exporter ends, its tasks end with it (checked by process group)', { timeout: 150_000 }, () => {
  const tmp = tempDir('edgewatch-orphans-');
  const started: FaultExporter[] = [];
  after(async () => {
    for (const e of started) if (e.alive()) await e.stop('SIGKILL');
    killGroups(started.flatMap((e) => e.taskGroups()));
    tmp.cleanup();
  });

  /** Starts an exporter of the four tasks and waits until all run, with the family's children up. */
  async function running(name: string, env: NodeJS.ProcessEnv = {}): Promise<{ exporter: FaultExporter; groups: number[]; watchdog: number }> {
    const exporter = await startFaultExporter(tmp.dir, `node: ${name}\nstate: {dir: ${join(tmp.dir, name)}}\n${TASKS}`, env);
    started.push(exporter);
    await eventually('every task running', async () => {
      const up = await Promise.all(['quiet', 'family', 'stubborn'].map((task) => exporter.sum('edgewatch_task_up', { node: name, task })));
      return up.every((v) => v === 1) && (await exporter.sum('edgewatch_task_restarts_total', { node: name, task: 'crasher' })) >= 1;
    });
    const groups = [...new Set(exporter.taskGroups())];
    const family = groups.find((g) => cmdline(g).startsWith('sh -c sleep 3602'));
    assert.ok(family !== undefined, 'the family task is a group leader');
    await eventually('the family task has its two children', () => groupMembers(family).length === 3);
    const watchdog = childrenOf(exporter.child.pid!).find((pid) => cmdline(pid).includes('trap'));
    assert.ok(watchdog !== undefined, 'the exporter runs its task watchdog');
    return { exporter, groups, watchdog };
  }

  it('SIGTERM: the tasks are stopped (SIGKILL after the grace period for the one that ignores SIGTERM), exit 0', async () => {
    const { exporter, groups } = await running('orphans-term');
    assert.deepEqual(await exporter.stop('SIGTERM'), { code: 0, signal: null });
    await noTaskLeft(groups, 5000);
    assert.match(exporter.output(), /"msg":"task exited"[^\n]*"task":"stubborn"[^\n]*"signal":"SIGKILL"/);
  });

  it('SIGKILL: nothing in the exporter runs, and its watchdog ends every task group', async () => {
    const { exporter, groups, watchdog } = await running('orphans-kill');
    assert.deepEqual(await exporter.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
    await noTaskLeft(groups, 10_000);
    await eventually('the watchdog to exit after its work', () => cmdline(watchdog) === '');
  });

  for (const inject of ['throw', 'reject'] as const) {
    it(`a fatal error (${inject === 'throw' ? 'an uncaught exception' : 'an unhandled rejection'}): logged once, the same stop as SIGTERM, exit 1`, async () => {
      const { exporter, groups } = await running(`orphans-${inject}`, { EDGEWATCH_NODE_OPTIONS: `--import ${fixture('inject-fatal.mjs')}`, INJECT: inject });
      exporter.child.kill('SIGUSR2');
      const exit = await exporter.exited;
      assert.deepEqual(exit, { code: 1, signal: null });
      await noTaskLeft(groups, 5000);
      const fatal = [...exporter.output().matchAll(/"msg":"fatal error: stopping the tasks and exiting"[^\n]*/g)];
      assert.equal(fatal.length, 1, 'logged once');
      assert.match(fatal[0]![0], /injected (fatal error|unhandled rejection)/);
      assert.match(fatal[0]![0], /"stack":"Error: injected/);
      for (const task of ['quiet', 'family', 'stubborn']) {
        assert.match(exporter.output(), new RegExp(`"msg":"task exited"[^\\n]*"task":"${task}"[^\\n]*"outcome":"stopped"`), `${task} stopped by the exporter itself`);
      }
      assert.doesNotMatch(exporter.output(), /^\s+at /m, 'no raw stack trace printed besides the log line');
    });
  }
});
