import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { emit, endSender, eventTime, sender, startTestCollector, type TestCollector } from '../../support/collector-harness.js';

type Rec = Record<string, unknown>;

describe('HTTP API over the correlation store', () => {
  let c: TestCollector;
  const traceId = randomBytes(16).toString('hex');
  const T = 1767225600;
  before(async () => {
    c = await startTestCollector();
    const edge1 = sender('edgewatch.edge-1', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true });
    const edge2 = sender('edgewatch.edge-2', c.collector.forwardPort, { eventMode: 'Message', requireAckResponse: true });
    const cloud = sender('app', c.collector.forwardPort, { eventMode: 'CompressedPackedForward', requireAckResponse: true });
    // Sent out of time order and from three senders: the API must put the trace back together.
    await emit(cloud, 'checkout', { 'service.name': 'checkout', message: 'charge card', severity: 'INFO', traceparent: `00-${traceId}-00f067aa0ba902b7-01` }, eventTime(T, 300_000_000));
    await emit(edge2, 'api', { level: 'error', msg: 'upstream timeout', trace_id: traceId, status: 504, duration_ms: 3000 }, eventTime(T, 200_000_001));
    await emit(edge1, 'web', { level: 'info', msg: 'GET /checkout', trace_id: traceId.toUpperCase(), status: 200 }, eventTime(T, 100_000_000));
    await emit(edge1, 'web', { level: 'warn', msg: 'slow response', trace_id: traceId, duration_ms: 3100 }, eventTime(T, 200_000_000));
    await emit(edge1, 'web', { level: 'info', msg: 'unrelated' }, eventTime(T + 5, 0));
    for (const s of [edge1, edge2, cloud]) endSender(s);
  });
  after(() => c.stop());

  it('GET /api/traces/{id} returns the whole trace from two edge nodes and a cloud service, in time order', async () => {
    const { status, body } = await c.api<{ traceId: string; records: Rec[] }>(`/api/traces/${traceId.toUpperCase()}`);
    assert.equal(status, 200);
    assert.equal(body.traceId, traceId);
    assert.deepEqual(
      body.records.map((r) => [r.time, r.node, r.task, r.service, r.level, r.msg]),
      [
        ['2026-01-01T00:00:00.100000000Z', 'edge-1', 'web', undefined, 'info', 'GET /checkout'],
        ['2026-01-01T00:00:00.200000000Z', 'edge-1', 'web', undefined, 'warn', 'slow response'],
        ['2026-01-01T00:00:00.200000001Z', 'edge-2', 'api', undefined, 'error', 'upstream timeout'],
        ['2026-01-01T00:00:00.300000000Z', null, null, 'checkout', 'info', 'charge card'],
      ],
    );
    assert.equal(body.records[2]!.status, 504);
    assert.equal(body.records[2]!.duration_ms, 3000);
    assert.equal(body.records[3]!.span_id, '00f067aa0ba902b7');
  });

  it('an unknown trace is an empty list, a malformed id a 400 that says what a trace id is', async () => {
    assert.deepEqual((await c.api(`/api/traces/${'f'.repeat(32)}`)).body, { traceId: 'f'.repeat(32), records: [] });
    const bad = await c.api<{ message: string }>('/api/traces/not-a-trace');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /traceId must be a W3C trace id \(32 hex characters/);
  });

  it('GET /api/logs filters by node, task, level and time, newest `limit` in time order', async () => {
    const msgs = async (q: string) => (await c.api<{ records: Rec[] }>(`/api/logs?${q}`)).body.records.map((r) => r.msg);
    assert.deepEqual(await msgs('node=edge-1&task=web'), ['GET /checkout', 'slow response', 'unrelated']);
    assert.deepEqual(await msgs('node=edge-1&limit=2'), ['slow response', 'unrelated']);
    assert.deepEqual(await msgs('level=warn,error'), ['slow response', 'upstream timeout']);
    assert.deepEqual(await msgs(`since=${T * 1000 + 150}&until=2026-01-01T00:00:00.250Z`), ['slow response', 'upstream timeout']);
    assert.deepEqual(await msgs('task=checkout'), ['charge card']);
  });

  const bad: Array<[string, RegExp]> = [
    ['limit=0', /^limit: must be >= 1$/],
    ['limit=99999', /^limit: must be <= 5000$/],
    ['limit=ten', /^limit: must be a whole number$/],
    ['level=loud', /^level: must be one or more of trace, debug, info, warn, error, fatal/],
    ['since=yesterday', /^since: must be epoch milliseconds, an RFC 3339 time \(1970 to 9999\) or a duration ago/],
    ['since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z', /^since: must not be after until$/],
    ['nodes=edge-1', /^\(root\): unknown key "nodes"/],
  ];
  for (const [q, message] of bad) {
    it(`GET /api/logs?${q} is a 400 with a clear message`, async () => {
      const res = await c.api<{ error: string; message: string }>(`/api/logs?${q}`);
      assert.equal(res.status, 400);
      assert.match(res.body.message, message);
    });
  }

  it('serves /metrics from its own registry with Node process metrics, and /healthz, /readyz', async () => {
    const base = `http://127.0.0.1:${c.collector.httpPort}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const name of ['edgewatch_collector_store_records', 'edgewatch_collector_store_bytes', 'process_cpu_seconds_total', 'nodejs_heap_size_used_bytes']) {
      assert.match(text, new RegExp(`^${name}`, 'm'));
    }
    assert.equal(await c.metric('edgewatch_collector_store_records'), 5);
    assert.equal(await c.metric('edgewatch_collector_ingested_records_total', { input: 'forward' }), 5);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
  });
});
