import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryMarks } from '../../../collector/store/delivery-marks.js';

describe('DeliveryMarks', () => {
  it('keeps one range for in-order delivery and answers membership', () => {
    const m = new DeliveryMarks();
    for (let i = 0; i < 1000; i++) m.add('s1', i);
    assert.deepEqual(m.ranges('s1'), [[0, 999]]);
    assert.ok(m.has('s1', 0) && m.has('s1', 999));
    assert.ok(!m.has('s1', 1000));
    assert.ok(!m.has('s2', 5), 'spools are independent');
  });

  it('merges out-of-order arrivals into ranges', () => {
    const m = new DeliveryMarks();
    for (const s of [10, 12, 11, 0, 1, 5, 3, 2, 4, 13, 6, 9, 8, 7]) m.add('s', s);
    assert.deepEqual(m.ranges('s'), [[0, 13]]);
    m.add('s', 20);
    assert.deepEqual(m.ranges('s'), [[0, 13], [20, 20]]);
    assert.ok(!m.has('s', 15));
  });
});
