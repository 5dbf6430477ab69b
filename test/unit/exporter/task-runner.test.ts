import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flush, harness, spec } from '../../support/supervisor-harness.js';

describe('TaskRunner on a fake clock', () => {
  it('restarts a crashing task exactly on the CrashLoopBackOff schedule', () => {
    const h = harness();
    const sup = h.supervisor([spec({ name: 'web' })]);
    sup.start();
    const gaps: number[] = [];
    for (let i = 0; i < 8; i++) {
      h.clock.advance(1_000); // runs for one second
      h.launcher.last.exit({ code: 1, signal: null });
      const exitedAt = h.clock.now();
      const launched = h.launcher.processes.length;
      while (h.launcher.processes.length === launched) h.clock.advance(100);
      gaps.push((h.clock.now() - exitedAt) / 1000);
    }
    assert.deepEqual(gaps, [10, 20, 40, 80, 160, 300, 300, 300]);
    assert.equal(h.observer.of('restarted').length, 8);
    assert.deepEqual(h.observer.of('restartScheduled').map((e) => e.args[0]), Array(8).fill('Error'));
  });

  it('reports a restart once the new process runs, so an observer acting on it finds that process', () => {
    const h = harness();
    const seen: Array<{ state: string; pid: number | undefined; processes: number }> = [];
    let sup: ReturnType<typeof h.supervisor> | undefined;
    const record = h.deps.observer.restarted;
    h.deps.observer.restarted = (task, reason) => {
      const s = sup!.status(task);
      seen.push({ state: s.state, pid: s.pid, processes: h.launcher.processes.length });
      record?.(task, reason);
    };
    sup = h.supervisor([spec({ name: 'web' })]);
    sup.start();
    h.clock.advance(1_000);
    h.launcher.last.exit({ code: 1, signal: null });
    h.clock.advance(10_000);
    assert.deepEqual(seen, [{ state: 'running', pid: h.launcher.last.pid, processes: 2 }]);
  });

  it('forgets the backoff after 10 minutes of running', () => {
    const h = harness();
    h.supervisor([spec({})]).start();
    const scheduled = () => h.observer.of('restartScheduled').at(-1)!.args[1];
    for (let i = 0; i < 3; i++) {
      h.clock.advance(1_000);
      h.launcher.last.exit({ code: 1, signal: null });
      h.clock.advance(scheduled() as number);
    }
    assert.equal(scheduled(), 40_000);
    h.clock.advance(600_000);
    h.launcher.last.exit({ code: 1, signal: null });
    assert.equal(scheduled(), 10_000);
  });

  it('honours restartPolicy: OnFailure keeps a clean exit down, Never keeps any exit down', () => {
    const h = harness();
    h.supervisor([spec({ name: 'a', restartPolicy: 'OnFailure' }), spec({ name: 'b', restartPolicy: 'Never' }), spec({ name: 'c', restartPolicy: 'Always' })]).start();
    const [a, b, c] = h.launcher.processes;
    a!.exit({ code: 0, signal: null });
    b!.exit({ code: 1, signal: null });
    c!.exit({ code: 0, signal: null });
    const states = Object.fromEntries(h.observer.of('stateChanged').map((e) => [e.task, e.args[0]]));
    assert.deepEqual(states, { a: 'succeeded', b: 'failed', c: 'backoff' });
    assert.equal(h.observer.of('restartScheduled')[0]!.args[0], 'Completed');
  });

  it('stops gracefully: SIGTERM first, SIGKILL only after terminationGracePeriodSeconds', async () => {
    const h = harness();
    h.launcher.sigtermKills = false;
    const sup = h.supervisor([spec({ terminationGracePeriodSeconds: 30 })]);
    sup.start();
    const p = h.launcher.last;
    const stopped = sup.stopTask('web');
    assert.deepEqual(p.signals, ['SIGTERM']);
    h.clock.advance(29_999);
    assert.deepEqual(p.signals, ['SIGTERM']);
    h.clock.advance(1);
    assert.deepEqual(p.signals, ['SIGTERM', 'SIGKILL']);
    await stopped;
    assert.equal(sup.status('web').state, 'stopped');
    assert.equal(h.clock.pendingCount, 1, 'only the sampling timer is left: no restart after a stop');
  });

  it('kills a task over its memory limit at once with reason OOMKilled and restarts it', () => {
    const h = harness();
    h.supervisor([spec({ resources: { limits: { memory: '64Mi' } } })]).start();
    const p = h.launcher.last;
    h.sampler.readings.set(p.pid, { rssBytes: 60 * 1024 * 1024, cpuSeconds: 1 });
    h.clock.advance(1_000);
    assert.deepEqual(p.signals, []);
    h.sampler.readings.set(p.pid, { rssBytes: 65 * 1024 * 1024, cpuSeconds: 2 });
    h.clock.advance(1_000);
    assert.deepEqual(p.signals, ['SIGKILL']);
    assert.equal(h.observer.of('exited')[0]!.args[0], 'oom_killed');
    assert.equal(h.observer.of('restartScheduled')[0]!.args[0], 'OOMKilled');
  });

  it('kills a task whose liveness probe fails failureThreshold times in a row, then restarts it', async () => {
    let healthy = true;
    const h = harness({ probe: async () => (healthy ? { ok: true } : { ok: false, message: 'timeout' }) });
    h.supervisor([spec({ livenessProbe: { httpGet: { port: 8080 }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 } })]).start();
    const p = h.launcher.last;
    h.clock.advance(5_000);
    await flush();
    healthy = false;
    for (let i = 0; i < 2; i++) {
      h.clock.advance(10_000);
      await flush();
    }
    assert.equal(h.observer.of('probeFailed').length, 2);
    assert.deepEqual(p.signals, []);
    h.clock.advance(10_000);
    await flush();
    assert.equal(h.observer.of('probeFailed').length, 3);
    assert.deepEqual(p.signals, ['SIGTERM']);
    assert.equal(h.observer.of('exited')[0]!.args[0], 'unhealthy');
    assert.equal(h.observer.of('restartScheduled')[0]!.args[0], 'Unhealthy');
  });

  it('a success between failures resets the probe failure count', async () => {
    const results = [false, false, true, false, false];
    const h = harness({ probe: async () => ({ ok: results.shift() ?? true }) });
    h.supervisor([spec({ livenessProbe: { tcpSocket: { port: 1 }, periodSeconds: 1, failureThreshold: 3 } })]).start();
    for (let i = 0; i < 6; i++) {
      h.clock.advance(1_000);
      await flush();
    }
    assert.deepEqual(h.launcher.last.signals, []);
    assert.equal(h.observer.of('probeFailed').length, 4);
  });

  it('restart and apply commands bypass the backoff and count Command / Updated', async () => {
    const h = harness();
    const sup = h.supervisor([spec({ version: 'v1' })]);
    sup.start();
    await sup.restartTask('web');
    assert.equal(h.launcher.processes.length, 2);
    await sup.apply(spec({ version: 'v2' }));
    assert.equal(h.launcher.processes.length, 3);
    assert.equal(sup.status('web').version, 'v2');
    assert.deepEqual(h.observer.of('restarted').map((e) => e.args[0]), ['Command', 'Updated']);
    assert.equal(await sup.rollback('web'), 'v1');
    assert.equal(sup.status('web').version, 'v1');
    assert.deepEqual(sup.versions('web'), ['v2', 'v1']);
  });

  it('passes output lines through with the task name', () => {
    const h = harness();
    h.supervisor([spec({})]).start();
    h.launcher.last.print('stdout', 'one\ntw');
    h.launcher.last.print('stdout', 'o\n');
    h.launcher.last.print('stderr', 'oops\n');
    assert.deepEqual(h.lines, [
      { task: 'web', stream: 'stdout', text: 'one' },
      { task: 'web', stream: 'stdout', text: 'two' },
      { task: 'web', stream: 'stderr', text: 'oops' },
    ]);
  });
});
