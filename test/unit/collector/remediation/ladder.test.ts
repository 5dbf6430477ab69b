import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { node, remediation } from '../../../support/remediation-harness.js';

const web = { node: 'edge-1', task: 'web' };
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('remediation ladder on a fake clock', () => {
  it('at 0 s restarts in the failing trace; at 30 s, rule clear and task running, resolves (verified)', async () => {
    const h = remediation();
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.fire(web, { traceIds: ['1'.repeat(32), TRACE] });
    assert.equal(h.sent.length, 1);
    assert.deepEqual({ node: h.sent[0]!.node, type: h.sent[0]!.type, task: h.sent[0]!.task }, { node: 'edge-1', type: 'restart', task: 'web' });
    assert.match(h.sent[0]!.traceparent!, new RegExp(`^00-${TRACE}-`), 'the command joins the failing request trace');
    assert.equal(h.incident().status, 'remediating');
    await h.sent[0]!.settle('done');
    assert.deepEqual(h.forgotten, ['consecutive-5xx consecutive-5xx{node="edge-1",task="web"}'], 'the rule must see fresh failures');
    h.advance(29_000);
    assert.equal(h.incident().status, 'remediating', 'still verifying');
    h.advance(1_000);
    const i = h.book.get('inc-1')!;
    assert.equal(i.status, 'resolved');
    assert.deepEqual(i.actions.map((a) => [a.type, a.result, a.verified]), [['restart', 'done', true]]);
    assert.deepEqual(h.alerts.map((a) => [a.labels.alertname, a.status]), [['consecutive-5xx', 'firing'], ['consecutive-5xx', 'resolved']]);
  });

  it('a rule firing again during verification climbs to rollback, which holds', async () => {
    const h = remediation();
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.fire(web);
    await h.sent[0]!.settle('done');
    h.advance(10_000);
    h.fire(web); // the 5xx came back
    assert.deepEqual(h.sent.map((c) => c.type), ['restart', 'rollback']);
    await h.sent[1]!.settle('done');
    h.advance(30_000);
    const i = h.book.get('inc-1')!;
    assert.equal(i.status, 'resolved');
    assert.deepEqual(i.actions.map((a) => [a.type, a.result, a.verified]), [['restart', 'done', false], ['rollback', 'done', true]]);
  });

  it('a failed or rejected command goes to the next step at once; the end of the ladder pages', async () => {
    const h = remediation();
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.fire(web, { ladder: ['restart', 'rollback', 'page'] });
    await h.sent[0]!.settle('failed', 'exit 1');
    assert.equal(h.sent[1]!.type, 'rollback');
    await h.sent[1]!.settle('rejected', 'no_version: task "web" has no previous version');
    const i = h.book.get('inc-1')!;
    assert.equal(i.status, 'escalated');
    assert.match(i.escalation!, /^paging on-call after: restart failed, rollback rejected/);
    assert.deepEqual(h.alerts.at(-1)!.labels.alertname, 'EdgewatchRemediationEscalated');
    h.clear(web);
    assert.equal(h.book.get('inc-1')!.status, 'resolved', 'the page ends when the rule clears');
    assert.deepEqual(h.alerts.slice(-2).map((a) => [a.labels.alertname, a.status]), [['consecutive-5xx', 'resolved'], ['EdgewatchRemediationEscalated', 'resolved']]);
  });

  it('a task that is not running at the end of verification is not fixed', async () => {
    const h = remediation();
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web', state: 'backoff' }]));
    h.fire(web, { ladder: ['restart', 'page'] });
    await h.sent[0]!.settle('done');
    h.advance(30_000);
    assert.equal(h.book.get('inc-1')!.status, 'escalated');
  });

  it('a rule with action none only notifies, and resolves when the rule clears', () => {
    const h = remediation();
    h.fire(web, { rule: 'error-log-burst', action: 'none' });
    assert.equal(h.sent.length, 0);
    assert.equal(h.incident().status, 'firing');
    h.clear(web, { rule: 'error-log-burst' });
    assert.equal(h.book.get('inc-1')!.status, 'resolved');
  });

  it('survives a restart: a step whose result was lost is verified afresh, not left remediating', () => {
    const h = remediation();
    h.nodes.set('edge-1', node('edge-1', [{ name: 'web' }]));
    h.fire(web); // the restart is sent; the collector "restarts" before its ack
    h.remediator.resume(h.clock.now());
    assert.equal(h.incident().verifyUntil, h.clock.now() + 30_000);
    assert.match(h.incident().actions[0]!.reason!, /collector restarted/);
    h.advance(30_000);
    assert.equal(h.book.get('inc-1')!.status, 'resolved', 'the task runs and the rule stayed clear');
  });
});
