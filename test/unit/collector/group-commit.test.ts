import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TimerHandle } from '../../../common/clock.js';
import type { Event } from '../../../collector/events/event.js';
import type { AppendRequest, EventStore } from '../../../collector/store/event-store.js';
import { GroupCommit } from '../../../collector/store/group-commit.js';

/** A store that records each transaction (appendMany call) and the timers the committer asks for. */
function setup(options = { windowMs: 20, maxRecords: 5000 }) {
  const groups: AppendRequest[][] = [];
  let failWith: Error | undefined;
  const store = {
    appendMany(requests: readonly AppendRequest[]) {
      if (failWith) throw failWith;
      groups.push([...requests]);
      return requests.map(() => ({ duplicate: false }));
    },
  } as unknown as EventStore;
  let nowMs = 1_000_000;
  const timers: Array<{ fn: () => void; delayMs: number; cleared: boolean }> = [];
  const clock = {
    now: () => nowMs,
    setTimeout(fn: () => void, delayMs: number): TimerHandle {
      const t = { fn, delayMs, cleared: false };
      timers.push(t);
      return t as unknown as TimerHandle;
    },
    clearTimeout(h: TimerHandle) {
      (h as unknown as { cleared: boolean }).cleared = true;
    },
  };
  const committer = new GroupCommit(store, clock, options);
  const append = (node: string, records = 6) =>
    committer.append({ batch: { tag: `edgewatch.${node}.web`, payload: new Uint8Array(), events: Array.from({ length: records }, () => ({ node }) as Event) }, chunkId: undefined, nowMs });
  return {
    groups,
    timers,
    committer,
    append,
    advance: (ms: number) => (nowMs += ms),
    fail: (err: Error) => (failWith = err),
    fireTimers: () => timers.filter((t) => !t.cleared).forEach((t) => ((t.cleared = true), t.fn())),
  };
}

/** Fleet traffic: one append from each of `n` other nodes over the last second, committed. */
async function fleetSecond(s: ReturnType<typeof setup>, n: number): Promise<void> {
  const all = [];
  for (let i = 0; i < n; i++) all.push(s.append(`fleet-${i}`));
  s.fireTimers();
  await Promise.all(all);
  s.advance(1000);
}

describe('group commit', () => {
  it('commits a lone sender at the end of the event-loop turn: a backlog drained chunk after chunk never waits the window', async () => {
    const s = setup({ windowMs: 20, maxRecords: 5000 });
    for (let i = 0; i < 5; i++) {
      s.advance(1);
      // resolves without any timer firing
      assert.deepEqual(await s.append('edge-1'), { duplicate: false });
    }
    assert.equal(s.timers.length, 0, 'no window timer for a sender alone');
    assert.equal(s.groups.length, 5);
  });

  it('waits the window when other senders keep appending, and the chunks of the window share one transaction', async () => {
    const s = setup({ windowMs: 20, maxRecords: 5000 });
    await fleetSecond(s, 60); // 60 appends/s from others: 1.2 expected per 20 ms window
    await fleetSecond(s, 60);
    const groupsBefore = s.groups.length;
    let acked = 0;
    const a = s.append('edge-1').then(() => acked++);
    const b = s.append('fleet-1').then(() => acked++);
    await new Promise((r) => setImmediate(r));
    assert.equal(acked, 0, 'nothing is acked before the commit');
    assert.equal(s.timers.filter((t) => !t.cleared).length, 1);
    assert.equal(s.timers.at(-1)!.delayMs, 20);
    s.fireTimers();
    await Promise.all([a, b]);
    assert.equal(s.groups.length, groupsBefore + 1, 'one transaction for both chunks');
    assert.equal(s.groups.at(-1)!.length, 2);
  });

  it('does not wait for a sparse fleet: company less than every other window is not worth the latency', async () => {
    const s = setup({ windowMs: 20, maxRecords: 5000 });
    await fleetSecond(s, 10); // 10 appends/s: 0.2 per window
    await fleetSecond(s, 10);
    const timersBefore = s.timers.length;
    await s.append('edge-1');
    assert.equal(s.timers.length, timersBefore, 'committed without a window');
  });

  it('commits a group that reaches maxRecords at once, without a timer or an event-loop turn', async () => {
    const s = setup({ windowMs: 20, maxRecords: 100 });
    await fleetSecond(s, 60);
    await fleetSecond(s, 60);
    const groupsBefore = s.groups.length;
    const p = s.append('edge-1', 100);
    assert.equal(s.groups.length, groupsBefore + 1, 'written synchronously');
    await p;
  });

  it('rejects every chunk of a group whose transaction failed, so each sender keeps and resends it', async () => {
    const s = setup();
    s.fail(new Error('disk I/O error'));
    const results = await Promise.allSettled([s.append('edge-1'), s.append('edge-2')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(s.groups.length, 0);
  });

  it('commit() writes what is waiting (at stop) and cancels the pending timer', async () => {
    const s = setup();
    await fleetSecond(s, 60);
    await fleetSecond(s, 60);
    const p = s.append('edge-1');
    const groupsBefore = s.groups.length;
    s.committer.commit();
    await p;
    assert.equal(s.groups.length, groupsBefore + 1);
    assert.ok(s.timers.at(-1)!.cleared);
  });
});
