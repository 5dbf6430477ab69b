import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { harness, spec } from '../../support/supervisor-harness.js';

const job = (extra = {}) => spec({ name: 'backup', schedule: '*/5 * * * *', backoff: { initialSeconds: 10, maxSeconds: 60, resetAfterSeconds: 600 }, ...extra });

describe('JobRunner on a fake clock', () => {
  it('runs on each tick and never overlaps itself: a tick during a run is skipped', () => {
    const h = harness();
    h.supervisor([job()]).start();
    assert.equal(h.launcher.processes.length, 0, 'a job waits for its schedule');
    h.scheduler.tick();
    assert.equal(h.launcher.processes.length, 1);
    h.scheduler.tick();
    assert.equal(h.launcher.processes.length, 1);
    h.clock.advance(2_000);
    h.launcher.last.exit({ code: 0, signal: null });
    h.scheduler.tick();
    assert.equal(h.launcher.processes.length, 2);
    assert.deepEqual(h.observer.of('jobRun').map((e) => e.args), [['skipped'], ['succeeded', 2_000]]);
  });

  it('retries a failing run with backoff up to backoffLimit, then counts it failed', () => {
    const h = harness();
    h.supervisor([job({ backoffLimit: 2 })]).start();
    h.scheduler.tick();
    const delays: number[] = [];
    for (let i = 0; i < 2; i++) {
      h.launcher.last.exit({ code: 3, signal: null });
      const delay = h.observer.of('restartScheduled').at(-1)!.args[1] as number;
      delays.push(delay);
      h.clock.advance(delay - 1);
      assert.equal(h.launcher.processes.length, i + 1, 'no retry before its backoff');
      h.clock.advance(1);
    }
    h.launcher.last.exit({ code: 3, signal: null });
    assert.deepEqual(delays, [10_000, 20_000]);
    assert.equal(h.launcher.processes.length, 3, 'one run plus backoffLimit retries');
    assert.deepEqual(h.observer.of('jobRun').map((e) => e.args[0]), ['failed']);
    assert.equal(h.observer.of('stateChanged').at(-1)!.args[0], 'failed');
  });
});
