import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { NodeRegistry } from '../../../../collector/control/node-registry.js';
import { EdgeFence } from '../../../../collector/edge/edge-fence.js';
import { EdgeReports } from '../../../../collector/edge/edge-reports.js';
import { IncidentBook } from '../../../../collector/incidents/incident-book.js';
import { IncidentStore } from '../../../../collector/incidents/incident-store.js';
import type { AlertStateInput } from '../../../../collector/notify/alert-state.js';
import { StateDb } from '../../../../collector/state/state-db.js';
import { silentLogger } from '../../../../common/logger.js';
import type { EdgeReport } from '../../../../protocol/edge-incident.js';

/** The node's clock runs a minute ahead; the report took 40 ms round trip. */
const SKEW = 60_000;
const NOW = 1_800_000_000_000;

function report(rev: number, status: 'resolved' | 'remediating'): EdgeReport {
  const edge = NOW + SKEW;
  return {
    node: 'n1',
    sentAt: edge - 20,
    linkLatencyMs: 40,
    incidents: [
      {
        id: '11111111-2222-3333-4444-555555555555',
        rev,
        rule: 'consecutive-5xx',
        key: 'consecutive-5xx{node="n1",task="web"}',
        task: 'web',
        status,
        severity: 'critical',
        labels: { node: 'n1', task: 'web' },
        annotations: {},
        startedAt: edge - 10_000,
        updatedAt: edge - 5_000,
        ...(status === 'resolved' ? { resolvedAt: edge - 5_000 } : {}),
        offline: true,
        traceIds: [],
        actions: [{ type: 'restart', commandId: 'edge-1', issuedAt: edge - 9_990, finishedAt: edge - 9_900, result: 'done', ...(status === 'resolved' ? { verified: true } : {}) }],
        timeline: [{ at: edge - 10_000, what: 'rule consecutive-5xx fired' }],
        logs: [{ ts: edge - 10_001, level: 'error', msg: 'GET /x', status: 500 }],
      },
    ],
  };
}

function rig() {
  const state = new StateDb(':memory:');
  const store = new IncidentStore(state);
  const alerts: AlertStateInput[][] = [];
  const book = new IncidentBook({ store, evidence: () => ({ traceIds: [], logs: [], windowStart: 0, windowEnd: 0 }), notify: () => undefined, newId: () => 'x', newTraceId: () => 'f'.repeat(32), logger: silentLogger });
  const fence = new EdgeFence(3000, () => 'both', () => true, () => undefined);
  const reports = new EdgeReports({ store, book, fence, nodes: new NodeRegistry(30_000), notify: (a) => void alerts.push(a), newTraceId: () => 'e'.repeat(32), registry: new Registry(), logger: silentLogger });
  return { store, alerts, fence, reports };
}

describe('edge incident reports at the collector', () => {
  it('corrects every edge time by the offset measured on the report, and says so', () => {
    const h = rig();
    assert.equal(h.reports.handle('n1', Buffer.from(JSON.stringify(report(3, 'resolved'))), NOW), true);
    const i = h.store.get('11111111-2222-3333-4444-555555555555')!;
    assert.equal(i.origin, 'edge');
    assert.equal(i.edge!.clockOffsetMs, SKEW, 'sentAt + half the round trip - received');
    assert.equal(i.startedAt, NOW - 10_000);
    assert.equal(i.resolvedAt, NOW - 5_000);
    assert.equal(i.actions[0]!.issuedAt, NOW - 9_990);
    assert.deepEqual(i.edge!.timeline[0], { at: NOW - 10_000, edgeAt: NOW + SKEW - 10_000, what: 'rule consecutive-5xx fired' });
    assert.equal(i.evidence.logs[0]!.time, new Date(NOW - 10_001).toISOString());
    assert.ok(h.fence.covering('n1', 'web', 'consecutive-5xx', NOW - 9_000), 'the claim fences the same fault in the collector\'s time');
    assert.ok(h.fence.covering('n1', 'web', 'consecutive-5xx', NOW + SKEW - 9_000), 'and in the edge\'s (a log line carries the edge time)');
  });

  it('notifies firing at once and resolved a second later, both late; an older revision changes nothing', () => {
    const h = rig();
    h.reports.handle('n1', Buffer.from(JSON.stringify(report(3, 'resolved'))), NOW);
    assert.deepEqual(h.alerts.map((a) => a.map((x) => [x.status, x.labels.late, x.startsAt])), [[['firing', 'true', NOW - 10_000]]]);
    h.reports.tick(NOW + 999);
    assert.equal(h.alerts.length, 1);
    h.reports.tick(NOW + 1000);
    assert.deepEqual(h.alerts[1]!.map((x) => [x.status, x.labels.late, x.endsAt]), [['resolved', 'true', NOW - 5_000]]);
    h.reports.handle('n1', Buffer.from(JSON.stringify(report(2, 'remediating'))), NOW + 2000);
    h.reports.tick(NOW + 5000);
    assert.equal(h.alerts.length, 2, 'a re-sent older revision is stale');
    assert.equal(h.store.get('11111111-2222-3333-4444-555555555555')!.status, 'resolved');
  });

  it('refuses a report that names another node than its topic, or a malformed one', () => {
    const h = rig();
    assert.equal(h.reports.handle('n2', Buffer.from(JSON.stringify(report(1, 'resolved'))), NOW), false);
    assert.equal(h.reports.handle('n1', Buffer.from('{"node":"n1"}'), NOW), false);
    assert.equal(h.store.get('11111111-2222-3333-4444-555555555555'), undefined);
  });
});
