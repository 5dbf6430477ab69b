import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crashLoopDefaults, RestartBackoff } from '../../../exporter/supervisor/backoff.js';

describe('RestartBackoff (CrashLoopBackOff)', () => {
  it('doubles from 10 s and caps at 5 min for a task that keeps crashing', () => {
    const b = new RestartBackoff(crashLoopDefaults);
    const delays = Array.from({ length: 8 }, () => b.next(1_000) / 1000);
    assert.deepEqual(delays, [10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('starts again at 10 s after a run of at least 10 minutes', () => {
    const b = new RestartBackoff(crashLoopDefaults);
    b.next(1_000);
    b.next(1_000);
    assert.equal(b.next(1_000), 40_000);
    assert.equal(b.next(600_000), 10_000);
    assert.equal(b.next(599_999), 20_000);
  });

  it('reset() forgets the crash history', () => {
    const b = new RestartBackoff(crashLoopDefaults);
    b.next(0);
    b.next(0);
    b.reset();
    assert.equal(b.next(0), 10_000);
  });
});
