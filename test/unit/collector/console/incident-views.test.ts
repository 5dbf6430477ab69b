import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRules } from '../../../../common/rules/rule-file.js';
import type { CommandRecord } from '../../../../collector/control/command-dispatcher.js';
import type { Incident, IncidentStatus } from '../../../../collector/incidents/incident.js';
import { DeliveryJournal } from '../../../../collector/notify/delivery-journal.js';
import { taskDashboardUrl } from '../../../../collector/console/grafana-link.js';
import { heldOf } from '../../../../collector/console/incident-summary.js';
import { incidentTimeline } from '../../../../collector/console/incident-timeline.js';
import { incidentPage } from '../../../../collector/console/incidents-page.js';
import { explainRule } from '../../../../collector/console/rule-explanation.js';

const T0 = Date.UTC(2026, 0, 1);

function incident(id: string, status: IncidentStatus, startedAt: number, o: Partial<Incident> = {}): Incident {
  return {
    id, fingerprint: id, rule: 'consecutive-5xx', key: id, status, severity: 'critical', labels: { node: 'edge-1', task: 'api' }, annotations: {},
    startedAt, updatedAt: startedAt, ladder: ['restart', 'rollback', 'page'], step: 0, actions: [], traceId: 'a'.repeat(32),
    evidence: { traceIds: [], logs: [], windowStart: startedAt - 300_000, windowEnd: startedAt, value: 6 }, ruleFiring: true, ...o,
  };
}

describe('console incident views', () => {
  it('lists open incidents first (newest first), then resolved ones by page, across the boundary', () => {
    const open = [incident('o1', 'firing', T0 + 1), incident('o2', 'escalated', T0 + 3), incident('o3', 'remediating', T0 + 2)];
    const resolved = Array.from({ length: 25 }, (_, n) => incident(`r${n}`, 'resolved', T0 - n));
    const src = {
      unresolved: () => open,
      resolved: (limit: number, offset: number) => resolved.slice(offset, offset + limit),
      counts: () => ({ firing: 1, remediating: 1, escalated: 1, resolved: resolved.length }),
    };
    const first = incidentPage(src, { page: 1, limit: 10 });
    assert.deepEqual(first.rows.map((i) => i.id), ['o2', 'o3', 'o1', 'r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    assert.equal(first.total, 28);
    assert.deepEqual(incidentPage(src, { page: 2, limit: 10 }).rows.map((i) => i.id), ['r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'r16']);
    assert.deepEqual(incidentPage(src, { page: 3, limit: 10 }).rows.map((i) => i.id), ['r17', 'r18', 'r19', 'r20', 'r21', 'r22', 'r23', 'r24']);
  });

  it('tells whether the fix held from the last step', () => {
    const done = { type: 'restart' as const, node: 'edge-1', task: 'api', commandId: 'c1', issuedAt: T0, result: 'done' as const };
    assert.equal(heldOf(incident('a', 'remediating', T0, { actions: [done] })).text, 'verifying');
    assert.equal(heldOf(incident('a', 'resolved', T0, { actions: [{ ...done, verified: true }] })).text, 'held');
    assert.equal(heldOf(incident('a', 'remediating', T0, { actions: [{ ...done, verified: false }] })).text, 'did not hold');
    assert.equal(heldOf(incident('a', 'escalated', T0, { actions: [{ ...done, verified: false }] })).text, 'no: escalated');
    assert.equal(heldOf(incident('a', 'resolved', T0)).text, 'cleared by itself');
  });

  it('the timeline puts onset, command, acks, verification, escalation and deliveries in time order', () => {
    const command: CommandRecord = {
      id: 'c1', node: 'edge-1', type: 'restart', task: 'api', issuedAt: T0 + 10, expiresAt: T0 + 300_000, epoch: 1, traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, status: 'done', attempts: 1,
      acks: [{ id: 'c1', node: 'edge-1', status: 'accepted', at: T0 + 20 }, { id: 'c1', node: 'edge-1', status: 'done', at: T0 + 150 }], requestedBy: 'remediation',
    };
    const i = incident('x', 'escalated', T0, {
      actions: [
        { type: 'restart', node: 'edge-1', task: 'api', commandId: 'c1', issuedAt: T0 + 10, result: 'done', finishedAt: T0 + 150, verified: false },
        { type: 'rollback', node: 'edge-1', task: 'api', issuedAt: T0 + 40_000, result: 'cooldown', reason: 'rolled back 2 min ago' },
      ],
      escalatedAt: T0 + 41_000, escalation: 'flapping: 4 incidents within 30 minutes',
      evidence: { traceIds: [], logs: [{ time: '', timeUnixNano: String(BigInt(T0 - 5) * 1_000_000n), node: 'edge-1', task: 'api', level: 'error', msg: 'x' }], windowStart: T0 - 300_000, windowEnd: T0, value: 6 },
    });
    const journal = new DeliveryJournal();
    journal.record({ incidentId: 'x', webhook: 'http://hook/', alertname: 'consecutive-5xx', status: 'firing', attempt: 1, outcome: 'retrying', detail: 'HTTP 503', at: T0 + 5 });
    journal.record({ incidentId: 'x', webhook: 'http://hook/', alertname: 'consecutive-5xx', status: 'firing', attempt: 2, outcome: 'delivered', at: T0 + 1005 });
    const t = incidentTimeline(i, { command: (id) => (id === 'c1' ? command : undefined), deliveries: (id) => journal.forIncident(id) });
    assert.deepEqual(t.map((e) => e.kind), ['evidence', 'onset', 'delivery', 'command', 'ack', 'ack', 'delivery', 'verify', 'withheld', 'escalation']);
    const text = t.map((e) => `${e.title}${e.detail ? ` | ${e.detail}` : ''}`);
    assert.match(text[3]!, /^restart sent to api on edge-1 \(requested by remediation\) \| command c1, 1 publish, status done/);
    assert.match(text[5]!, /edge-1 acked restart done/);
    assert.match(text[7]!, /restart did not hold/);
    assert.match(text[8]!, /rollback withheld \(cooldown\) for api on edge-1 \| rolled back 2 min ago/);
    assert.match(text[9]!, /escalated .* \| flapping: 4 incidents within 30 minutes/);
    assert.match(text[2]!, /webhook http:\/\/hook\/: consecutive-5xx firing retrying \(attempt 1\) \| HTTP 503/);
  });

  it('explains a rule as its value against the band it left', () => {
    const rules = loadRules(`rules:
  - {name: c, kind: consecutive, match: {status: ">=500"}, count: 6}
  - {name: b, kind: baseline, field: duration_ms, method: ratio, threshold: 4, minValue: 50, for: 1m}
  - {name: n, kind: count, match: {level: [error, fatal]}, count: 20, window: 1m}
`);
    assert.deepEqual(explainRule(rules[0], 6), { text: '6 lines in a row matched status >=500.', band: 'fires at 6 in a row; expected fewer', value: '6' });
    assert.match(explainRule(rules[1], 5.123456).text, /duration_ms was 5\.123× its own baseline .*, for 1 min\./);
    assert.equal(explainRule(rules[1], 5).band, 'expected below 4× (values under 50 ignored)');
    assert.equal(explainRule(rules[2], 23).text, '23 lines matched level error, fatal within 1 min.');
    assert.equal(explainRule(undefined, 3).text, 'Observed value 3.');
  });

  it('links the Grafana task dashboard only when configured, around the incident', () => {
    assert.equal(taskDashboardUrl(undefined, 'edge-1', 'api'), undefined);
    assert.equal(taskDashboardUrl('http://g:3000/', 'edge-1', undefined), undefined);
    assert.equal(taskDashboardUrl('http://g:3000/', 'edge 1', 'api', 1_000_000, 2_000_000), 'http://g:3000/d/edgewatch-task/edgewatch-task?var-node=edge+1&var-task=api&from=100000&to=2900000');
  });

  it('the delivery journal is bounded by incidents and by attempts per incident', () => {
    const j = new DeliveryJournal(2, 3);
    for (const id of ['a', 'b', 'c']) for (let n = 1; n <= 5; n++) j.record({ incidentId: id, webhook: 'w', alertname: 'r', status: 'firing', attempt: n, outcome: 'retrying', at: n });
    assert.equal(j.forIncident('a'), undefined, 'the oldest incident is forgotten');
    assert.deepEqual(j.forIncident('c')!.map((d) => d.attempt), [3, 4, 5]);
  });
});
