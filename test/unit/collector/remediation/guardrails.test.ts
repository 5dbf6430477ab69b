import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { node, remediation } from '../../../support/remediation-harness.js';

describe('remediation guardrails on a fake clock', () => {
  it('dry-run records "would have restarted" and sends nothing', () => {
    const h = remediation({ dryRun: true });
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.fire({ node: 'edge-1', task: 'web' });
    assert.equal(h.sent.length, 0);
    const i = h.incident();
    assert.equal(i.status, 'firing');
    assert.deepEqual(i.actions.map((a) => [a.type, a.result]), [['restart', 'dry_run']]);
    h.advance(60_000);
    assert.equal(h.incident().actions.length, 1, 'recorded once, not every second');
  });

  it('cooldown: the same fix on the same task again within the cooldown climbs the ladder instead', async () => {
    const h = remediation({ cooldownMs: 300_000 });
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.fire({ node: 'edge-1', task: 'web' });
    await h.sent[0]!.settle('done');
    h.advance(30_000); // verified, resolved
    assert.equal(h.book.get('inc-1')!.status, 'resolved');
    h.advance(60_000);
    h.fire({ node: 'edge-1', task: 'web' }); // back 1.5 min later
    assert.deepEqual(h.sent.map((c) => c.type), ['restart', 'rollback']);
    assert.deepEqual(h.book.get('inc-2')!.actions.map((a) => [a.type, a.result]), [['restart', 'cooldown'], ['rollback', 'pending']]);
  });

  it('token bucket: a burst of incidents is paced fleet-wide', () => {
    const h = remediation({ ratePerMinute: 1, burst: 2 });
    for (const n of ['a', 'b', 'c']) h.nodes.set(`edge-${n}`, node(`edge-${n}`, [{ name: 'web' }]));
    h.fire({ node: 'edge-a', task: 'web' });
    h.fire({ node: 'edge-b', task: 'web' });
    h.fire({ node: 'edge-c', task: 'web' });
    assert.deepEqual(h.sent.map((c) => c.node), ['edge-a', 'edge-b']);
    assert.deepEqual(h.book.get('inc-3')!.actions.map((a) => a.result), ['rate_limited']);
    h.advance(59_000);
    assert.equal(h.sent.length, 2);
    h.advance(1_000);
    assert.deepEqual(h.sent.map((c) => c.node), ['edge-a', 'edge-b', 'edge-c']);
  });

  it('circuit breaker: halts when most of the fleet is hit at once, pages once, resumes when it recovers', () => {
    const h = remediation({ breakerOpenShare: 0.5, breakerCloseShare: 0.3, breakerMinNodes: 3 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) h.nodes.set(`edge-${n}`, node(`edge-${n}`, [{ name: 'web' }]));
    for (const n of ['a', 'b', 'c']) h.fire({ node: `edge-${n}`, task: 'web' }, { action: 'none', rule: 'link-errors' });
    h.advance(1_000);
    assert.equal(h.guard.breakerIsOpen, true, '3 of 5 nodes affected');
    h.fire({ node: 'edge-d', task: 'web' });
    assert.equal(h.sent.length, 0, 'no action while the breaker is open');
    assert.deepEqual(h.book.unresolved().find((i) => i.labels.node === 'edge-d')!.actions.map((a) => a.result), ['breaker_open']);
    h.advance(5_000);
    const pages = h.alerts.filter((a) => a.labels.alertname === 'EdgewatchRemediationHalted');
    assert.deepEqual(pages.map((a) => a.status), ['firing'], 'paged once');
    for (const n of ['a', 'b', 'c']) h.clear({ node: `edge-${n}`, task: 'web' }, { rule: 'link-errors' });
    h.advance(1_000);
    assert.equal(h.guard.breakerIsOpen, false);
    assert.deepEqual(h.sent.map((c) => [c.node, c.type]), [['edge-d', 'restart']], 'the held incident proceeds');
    assert.deepEqual(h.alerts.filter((a) => a.labels.alertname === 'EdgewatchRemediationHalted').map((a) => a.status), ['firing', 'resolved']);
  });

  it('circuit breaker counts the fleet from heartbeating nodes: alerts naming made-up nodes cannot open it', () => {
    const h = remediation({ breakerOpenShare: 0.5, breakerCloseShare: 0.3, breakerMinNodes: 3 });
    for (const n of ['a', 'b', 'c', 'd']) h.nodes.set(`edge-${n}`, node(`edge-${n}`, [{ name: 'web' }]));
    // a flood of forged alerts, one per node name that never heartbeated
    for (let i = 0; i < 200; i++) h.fire({ node: `ghost-${i}`, task: 'web' }, { action: 'none', rule: 'forged' });
    h.advance(1_000);
    assert.equal(h.guard.breakerIsOpen, false, '0 of 4 real nodes affected');
    h.fire({ node: 'edge-a', task: 'web' });
    assert.deepEqual(h.sent.map((c) => [c.node, c.type]), [['edge-a', 'restart']], 'real remediation goes on');
    assert.equal(h.alerts.filter((a) => a.labels.alertname === 'EdgewatchRemediationHalted').length, 0);
  });

  it('a flapping task is bounded: past the limit an incident pages at once instead of acting', async () => {
    const h = remediation({ flapMaxIncidents: 3, flapWindowMs: 30 * 60_000 });
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    for (let k = 0; k < 3; k++) {
      h.fire({ node: 'edge-1', task: 'web' });
      await h.sent.at(-1)!.settle('done');
      h.advance(30_000);
      h.advance(120_000);
    }
    assert.equal(h.sent.length, 3);
    h.fire({ node: 'edge-1', task: 'web' });
    assert.equal(h.sent.length, 3, 'no fourth restart');
    const i = h.book.unresolved()[0]!;
    assert.equal(i.status, 'escalated');
    assert.match(i.escalation!, /^flapping/);
  });
});
