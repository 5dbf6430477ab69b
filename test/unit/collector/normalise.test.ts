import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '../../../collector/events/event.js';
import { formatEventTime } from '../../../collector/events/event.js';
import { normaliseEntries, type EntryRejection } from '../../../collector/events/normalise.js';
import { EventTime } from '../../../collector/ingest/forward/event-time.js';

function run(tag: string, entries: unknown[]): { events: Event[]; rejected: EntryRejection[] } {
  const events: Event[] = [];
  const rejected: EntryRejection[] = [];
  normaliseEntries(tag, entries, events, (r) => rejected.push(r));
  return { events, rejected };
}

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

describe('normaliseEntries', () => {
  it('reads an exporter LogRecord: node and task from the tag, EventTime to the nanosecond', () => {
    const { events } = run('edgewatch.edge-1.web', [
      [new EventTime(1767225600, 123456789), { ts: 1767225600123.4, node: 'x', task: 'y', version: '2', stream: 'stdout', level: 'warn', msg: 'slow', trace_id: TRACE, span_id: '00f067aa0ba902b7', status: 503, duration_ms: 812.5, attrs: { path: '/a' } }],
    ]);
    const e = events[0]!;
    assert.equal(e.node, 'edge-1');
    assert.equal(e.task, 'web');
    assert.equal(formatEventTime(e.timeMs, e.subMsNanos), '2026-01-01T00:00:00.123456789Z');
    assert.deepEqual(
      { level: e.level, msg: e.msg, trace_id: e.trace_id, span_id: e.span_id, status: e.status, duration_ms: e.duration_ms, version: e.version, attrs: e.attrs },
      { level: 'warn', msg: 'slow', trace_id: TRACE, span_id: '00f067aa0ba902b7', status: 503, duration_ms: 812.5, version: '2', attrs: { path: '/a' } },
    );
  });

  it('takes sub-second time from the record ts when the sender used integer seconds', () => {
    const { events } = run('edgewatch.edge-1.web', [[1767225600, { ts: 1767225600250.5, level: 'info', msg: 'x' }]]);
    assert.equal(formatEventTime(events[0]!.timeMs, events[0]!.subMsNanos), '2026-01-01T00:00:00.250500000Z');
  });

  it('reads a cloud service record: service from OpenTelemetry or Kubernetes fields, traceparent, the rest as attrs', () => {
    const { events } = run('app.checkout', [
      [1767225600, { 'service.name': 'checkout', message: 'charged', severity: 'ERROR', traceparent: `00-${TRACE.toUpperCase()}-00f067aa0ba902b7-01`, host: 'cloud-vm-3', order: 42 }],
      [1767225601, { kubernetes: { container_name: 'payments', host: 'k8s-node-2' }, log: 'paid', traceId: TRACE }],
      [1767225602, { msg: 'no service field' }],
    ]);
    assert.deepEqual(
      events.map((e) => [e.service, e.node, e.task, e.level, e.msg, e.trace_id]),
      [
        ['checkout', 'cloud-vm-3', undefined, 'error', 'charged', TRACE],
        ['payments', 'k8s-node-2', undefined, 'info', 'paid', TRACE],
        ['app.checkout', undefined, undefined, 'info', 'no service field', undefined],
      ],
    );
    assert.deepEqual(events[0]!.attrs, { order: 42 });
    assert.equal(events[0]!.span_id, '00f067aa0ba902b7');
  });

  it("unwraps Fluent Bit's [[time, metadata], record] entries", () => {
    const { events } = run('fluentbit.app', [[[new EventTime(1767225600, 5), {}], { msg: 'hi', service: 'fb' }]]);
    assert.equal(events[0]!.subMsNanos, 5);
    assert.equal(events[0]!.service, 'fb');
  });

  it('drops bad entries with a reason and keeps the good ones', () => {
    const { events, rejected } = run('edgewatch.edge-1.web', [[1767225600, 'not a map'], ['yesterday', { msg: 'x' }], [1767225600, { msg: 'ok' }], 7]);
    assert.deepEqual(rejected, ['bad_entry', 'bad_time', 'bad_entry']);
    assert.deepEqual(events.map((e) => e.msg), ['ok']);
  });
});
