import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fixture, tempDir } from '../../support/paths.js';
import { freePort } from '../../support/ports.js';
import { realSupervisor } from '../../support/real-supervisor.js';
import { spec } from '../../support/supervisor-harness.js';
import { eventually } from '../../support/wait.js';

const fast = { initialSeconds: 0.2, maxSeconds: 1.6, resetAfterSeconds: 600 };

describe('supervisor with real processes', () => {
  const tmp = tempDir();
  after(() => tmp.cleanup());

  it('restarts a crashing task on the backoff schedule (0.2, 0.4, 0.8, 1.6 s)', async () => {
    const { supervisor, log } = realSupervisor([spec({ name: 'crash', command: ['node', fixture('crash.js')], backoff: fast })]);
    supervisor.start();
    try {
      await log.waitFor('started', 'crash', 5);
      const exits = log.of('exited', 'crash').map((e) => e.at);
      const starts = log.of('started', 'crash').map((e) => e.at);
      const gaps = starts.slice(1, 5).map((s, i) => (s - exits[i]!) / 1000);
      const expected = [0.2, 0.4, 0.8, 1.6];
      gaps.forEach((g, i) => assert.ok(g >= expected[i]! - 0.01 && g < expected[i]! + 0.25, `gap ${i}: ${g.toFixed(3)} s, expected about ${expected[i]} s`));
      assert.deepEqual(log.of('restarted', 'crash').map((e) => e.args[0]), ['Error', 'Error', 'Error', 'Error']);
    } finally {
      await supervisor.stop();
    }
  });

  it('kills a hung task through its HTTP liveness probe and restarts it', async () => {
    const port = await freePort();
    const { supervisor, log } = realSupervisor([
      spec({
        name: 'hang',
        command: ['node', fixture('http-server.js')],
        env: { PORT: String(port), HANG_AFTER_MS: '1200' },
        livenessProbe: { httpGet: { port, path: '/healthz' }, periodSeconds: 1, timeoutSeconds: 1, failureThreshold: 2 },
        terminationGracePeriodSeconds: 1,
        backoff: fast,
      }),
    ]);
    supervisor.start();
    try {
      const exit = await log.waitFor('exited', 'hang');
      assert.equal(exit.args[0], 'unhealthy');
      assert.ok(log.of('probeFailed', 'hang').length >= 2);
      assert.equal((await log.waitFor('restarted', 'hang')).args[0], 'Unhealthy');
      await log.waitFor('started', 'hang', 2);
      const status = await eventually('the restarted task to serve', async () => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) })).status);
      assert.equal(status, 200, 'the restarted task serves again');
    } finally {
      await supervisor.stop();
    }
  });

  it('OOM-kills a task that leaks past its memory limit', async () => {
    const { supervisor, log } = realSupervisor([
      spec({ name: 'leak', command: ['node', fixture('leak.js')], resources: { limits: { memory: '150Mi' } }, backoff: fast }),
    ]);
    supervisor.start();
    try {
      const exit = await log.waitFor('exited', 'leak');
      assert.equal(exit.args[0], 'oom_killed');
      assert.equal((exit.args[1] as { signal: string }).signal, 'SIGKILL');
      assert.equal((await log.waitFor('restarted', 'leak')).args[0], 'OOMKilled');
      const lastExit = supervisor.status('leak').lastExit;
      assert.equal(lastExit?.outcome, 'oom_killed');
    } finally {
      await supervisor.stop();
    }
  });

  it('SIGKILLs a task that ignores SIGTERM once its grace period is over', async () => {
    const { supervisor, log, lines } = realSupervisor([
      spec({ name: 'stubborn', command: ['node', fixture('ignore-sigterm.js')], terminationGracePeriodSeconds: 1 }),
    ]);
    supervisor.start();
    await log.waitFor('started', 'stubborn');
    await eventually('the task installed its SIGTERM handler', () => lines.some((l) => l.task === 'stubborn' && l.text.includes('running')));
    const t0 = performance.now();
    await supervisor.stopTask('stubborn');
    const elapsed = (performance.now() - t0) / 1000;
    const exit = log.of('exited', 'stubborn')[0]!;
    assert.equal((exit.args[1] as { signal: string }).signal, 'SIGKILL');
    assert.equal(exit.args[0], 'stopped');
    assert.ok(lines.some((l) => l.text.includes('SIGTERM ignored')), 'it received SIGTERM first');
    assert.ok(elapsed >= 0.95 && elapsed < 2.5, `stopped after ${elapsed.toFixed(2)} s, expected about 1 s`);
    assert.equal(supervisor.status('stubborn').state, 'stopped');
    await supervisor.stop();
  });

  it('runs a cron job on its schedule without overlapping, retrying failures up to backoffLimit', async () => {
    const runLog = join(tmp.dir, 'runs.log');
    const { supervisor, log } = realSupervisor([
      // every second, but each run takes 1.5 s: every other tick finds the previous run active
      spec({ name: 'slow', command: ['node', fixture('job.js')], env: { RUN_LOG: runLog, SLEEP_MS: '1500' }, schedule: '* * * * * *' }),
      spec({ name: 'failing', command: ['node', fixture('job.js')], env: { EXIT_CODE: '3' }, schedule: '* * * * * *', backoffLimit: 1, backoff: { initialSeconds: 0.1, maxSeconds: 1, resetAfterSeconds: 600 } }),
    ]);
    supervisor.start();
    try {
      await log.waitFor('jobRun', 'slow', 1, 10_000, (e) => e.args[0] === 'succeeded');
      await log.waitFor('jobRun', 'slow', 1, 10_000, (e) => e.args[0] === 'skipped');
      const failed = await log.waitFor('jobRun', 'failing', 1, 10_000, (e) => e.args[0] === 'failed');
      assert.ok(failed);
      const failingStarts = log.of('started', 'failing').filter((e) => e.at <= failed.at).length;
      assert.equal(failingStarts, 2, 'one run plus one retry (backoffLimit 1)');
    } finally {
      await supervisor.stop();
    }
    const runs = readFileSync(runLog, 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0]));
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i]! - runs[i - 1]! >= 1400, `runs overlapped: ${runs.join(', ')}`);
  });
});
