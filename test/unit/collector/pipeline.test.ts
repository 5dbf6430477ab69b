import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fanout, sequence, stage } from '../../../collector/pipeline/stage.js';

describe('pipeline stages', () => {
  it('sequence runs stages in order, each seeing what the previous returned', async () => {
    const p = sequence(
      stage<string[]>('a', (_c, b) => [...b, 'a']),
      stage<string[]>('b', async (_c, b) => [...b, 'b']),
    );
    assert.deepEqual(await p.exec({ now: 0 }, []), ['a', 'b']);
    assert.equal(p.name, 'sequence(a, b)');
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
      stage<number>('fail', async () => {
        throw new Error('disk full');
      }),
      stage<number>('after', (_c, n) => ((after = true), n)),
    );
    await assert.rejects(async () => p.exec({ now: 0 }, 1), /disk full/);
    assert.equal(after, false);
  });
});
