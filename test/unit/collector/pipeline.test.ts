import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fanout, sequence, stage } from '../../../collector/pipeline/stage.js';

describe('pipeline stages', () => {
  it('sequence runs stages in order, each seeing what the previous returned', async () => {
    const p = sequence(
      (b) => b.length === 0,
      stage<string[]>('a', (_c, b) => [...b, 'a']),
      stage<string[]>('b', async (_c, b) => [...b, 'b']),
    );
    assert.deepEqual(await p.exec({ now: 0 }, []), ['a', 'b']);
    assert.equal(p.name, 'sequence(a, b)');
  });

  it('sequence stops once a stage leaves nothing for the next, and runs synchronous stages in the caller\'s turn', () => {
    const ran: string[] = [];
    const p = sequence(
      (b: number[]) => b.length === 0,
      stage<number[]>('keep-even', (_c, b) => (ran.push('keep-even'), b.filter((n) => n % 2 === 0))),
      stage<number[]>('double', (_c, b) => (ran.push('double'), b.map((n) => n * 2))),
    );
    assert.deepEqual(p.exec({ now: 0 }, [2, 3]), [4], 'no promise: every stage was synchronous');
    assert.deepEqual(p.exec({ now: 0 }, [1, 3]), []);
    assert.deepEqual(ran, ['keep-even', 'double', 'keep-even'], 'double never saw the empty batch');
  });

  it('fanout runs stages on the same batch in parallel and passes it on unchanged', async () => {
    const seen: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = fanout(
      stage<number>('slow', async (_c, n) => {
        await gate;
        seen.push(`slow ${n}`);
        return n + 100;
      }),
      stage<number>('fast', (_c, n) => {
        seen.push(`fast ${n}`);
        release();
        return n + 1;
      }),
    );
    assert.equal(await p.exec({ now: 0 }, 1), 1);
    assert.deepEqual(seen, ['fast 1', 'slow 1']);
  });

  it('a failing stage stops the sequence and rejects, so the input does not ack', async () => {
    let after = false;
    const p = sequence(
      () => false,
      stage<number>('fail', async () => {
        throw new Error('disk full');
      }),
      stage<number>('after', (_c, n) => ((after = true), n)),
    );
    await assert.rejects(async () => p.exec({ now: 0 }, 1), /disk full/);
    assert.equal(after, false);
  });
});
