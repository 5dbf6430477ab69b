import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldReports } from '../../../../collector/edge/held-reports.js';

describe('reports a standby holds', () => {
  it('hands what it kept to the new leader in arrival order, with the time each arrived, once', () => {
    const held = new HeldReports(10, 60_000);
    held.keep('edge-1', Buffer.from('a'), 1_000);
    held.keep('edge-2', Buffer.from('b'), 2_000);
    const handled: Array<[string, string, number]> = [];
    assert.equal(held.drain(5_000, (node, payload, at) => handled.push([node, payload.toString(), at])), 2);
    assert.deepEqual(handled, [['edge-1', 'a', 1_000], ['edge-2', 'b', 2_000]]);
    assert.equal(held.drain(6_000, () => assert.fail('handed twice')), 0);
  });

  it('keeps the newest when full, and drops what is older than its age limit', () => {
    const held = new HeldReports(2, 60_000);
    held.keep('edge-1', Buffer.from('old'), 0);
    held.keep('edge-1', Buffer.from('mid'), 50_000);
    held.keep('edge-1', Buffer.from('new'), 70_000);
    assert.equal(held.size, 2);
    const handled: string[] = [];
    held.drain(115_000, (_n, payload) => handled.push(payload.toString()));
    assert.deepEqual(handled, ['new'], 'mid is 65 s old at the takeover');
  });
});
