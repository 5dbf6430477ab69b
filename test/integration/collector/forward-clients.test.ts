import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { emit, endSender, eventTime, RawForwardClient, sender, startTestCollector, type SenderOptions, type TestCollector } from '../../support/collector-harness.js';
import { eventually } from '../../support/wait.js';

type Trace = { traceId: string; records: Array<Record<string, unknown>> };
const packr = new Packr({ useRecords: false });
const newTrace = () => randomBytes(16).toString('hex');
const MODES: SenderOptions['eventMode'][] = ['Message', 'PackedForward', 'CompressedPackedForward'];

async function sendThree(c: TestCollector, mode: SenderOptions['eventMode'], requireAckResponse: boolean, security?: SenderOptions['security']) {
  const traceId = newTrace();
  const s = sender('edgewatch.edge-1', c.collector.forwardPort, { eventMode: mode, requireAckResponse, ...(security ? { security } : {}) });
  try {
    for (let i = 0; i < 3; i++) await emit(s, 'web', { level: 'info', msg: `${mode} ${i}`, trace_id: traceId, status: 200 });
  } finally {
    endSender(s);
  }
  return traceId;
}

for (const sharedKey of [undefined, 'fleet-secret']) {
  describe(`forward input with the real fluent-logger client, ${sharedKey ? 'shared_key handshake' : 'no handshake'}`, () => {
    let c: TestCollector;
    const security = sharedKey ? { clientHostname: 'edge-1', sharedKey } : undefined;
    before(async () => {
      c = await startTestCollector(sharedKey ? { sharedKey } : {});
    });
    after(() => c.stop());

    for (const mode of MODES) {
      it(`${mode} with requireAckResponse: the records are queryable the moment the ack arrives`, async () => {
        const traceId = await sendThree(c, mode, true, security);
        // No polling: an ack promises the records are already durable.
        const { body } = await c.api<Trace>(`/api/traces/${traceId}`);
        assert.deepEqual(body.records.map((r) => r.msg), [`${mode} 0`, `${mode} 1`, `${mode} 2`]);
        assert.deepEqual(body.records.map((r) => [r.node, r.task]), Array(3).fill(['edge-1', 'web']));
      });

      it(`${mode} without acks: the records arrive`, async () => {
        const traceId = await sendThree(c, mode, false, security);
        const records = await eventually('3 records', async () => {
          const { body } = await c.api<Trace>(`/api/traces/${traceId}`);
          return body.records.length === 3 && body.records;
        });
        assert.equal(records[0]!.msg, `${mode} 0`);
      });
    }

    it('keeps EventTime nanoseconds end to end', async () => {
      const traceId = newTrace();
      const s = sender('edgewatch.edge-1', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, ...(security ? { security } : {}) });
      await emit(s, 'web', { msg: 'precise', trace_id: traceId }, eventTime(1767225600, 123456789));
      endSender(s);
      const { body } = await c.api<Trace>(`/api/traces/${traceId}`);
      assert.equal(body.records[0]!.time, '2026-01-01T00:00:00.123456789Z');
      assert.equal(body.records[0]!.timeUnixNano, '1767225600123456789');
    });
  });
}

describe('forward input, hand-built frames', () => {
  let c: TestCollector;
  before(async () => {
    c = await startTestCollector();
  });
  after(() => c.stop());

  it('accepts Forward mode ([tag, [[time, record], ...], option]) and acks its chunk', async () => {
    // fluent-logger 3.x has no Forward mode, so this frame is built by hand.
    const traceId = newTrace();
    const raw = new RawForwardClient(c.collector.forwardPort);
    const chunk = randomBytes(16).toString('base64');
    const t = 1767225600;
    raw.send(packr.pack(['edgewatch.edge-2.api', [[t, { msg: 'one', trace_id: traceId }], [t + 1, { msg: 'two', trace_id: traceId }]], { chunk }]));
    assert.deepEqual(await raw.next(), { ack: chunk });
    raw.close();
    const { body } = await c.api<Trace>(`/api/traces/${traceId}`);
    assert.deepEqual(body.records.map((r) => [r.node, r.task, r.msg]), [['edge-2', 'api', 'one'], ['edge-2', 'api', 'two']]);
  });

  it('accepts a PackedForward payload sent as str, and nil keep-alives between frames', async () => {
    const traceId = newTrace();
    const entries = Buffer.from(packr.pack([1767225600, { msg: 'from str', trace_id: traceId }]));
    // [tag, str8(entries), {chunk}] written by hand: old msgpack encoders have no bin type.
    const chunk = 'c3RyLXBheWxvYWQ=';
    const frame = Buffer.concat([Buffer.from([0x93]), Buffer.from(packr.pack('svc.legacy')), Buffer.from([0xd9, entries.length]), entries, Buffer.from(packr.pack({ chunk }))]);
    const raw = new RawForwardClient(c.collector.forwardPort);
    raw.send(Buffer.from([0xc0]));
    raw.send(frame);
    raw.send(Buffer.from([0xc0]));
    assert.deepEqual(await raw.next(), { ack: chunk });
    raw.close();
    const { body } = await c.api<Trace>(`/api/traces/${traceId}`);
    assert.deepEqual(body.records.map((r) => [r.service, r.msg]), [['svc.legacy', 'from str']]);
  });

  it('stores a resent chunk once, acks it again, and counts the duplicate', async () => {
    const traceId = newTrace();
    const entries = Buffer.from(packr.pack([1767225600, { msg: 'once', trace_id: traceId }]));
    const chunk = randomBytes(16).toString('base64');
    const frame = packr.pack(['edgewatch.edge-1.web', entries, { chunk }]);
    const before = (await c.metric('edgewatch_collector_duplicate_chunks_total')) ?? 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      // A resend comes on a new connection, as after a lost ack.
      const raw = new RawForwardClient(c.collector.forwardPort);
      raw.send(frame);
      assert.deepEqual(await raw.next(), { ack: chunk });
      raw.close();
    }
    const { body } = await c.api<Trace>(`/api/traces/${traceId}`);
    assert.equal(body.records.length, 1);
    assert.equal(await c.metric('edgewatch_collector_duplicate_chunks_total'), before + 1);
  });

  it('answers a UDP heartbeat on the forward port', async () => {
    const { createSocket } = await import('node:dgram');
    const udp = createSocket('udp4');
    const reply = new Promise<Buffer>((resolve) => udp.once('message', resolve));
    udp.send(Buffer.from([0]), c.collector.forwardPort, '127.0.0.1');
    assert.deepEqual([...(await reply)], [0]);
    udp.close();
  });
});

describe('forward input with user authentication', () => {
  let c: TestCollector;
  before(async () => {
    c = await startTestCollector({ sharedKey: 'k', users: [{ username: 'edge', password: 'pw' }] });
  });
  after(() => c.stop());

  it('accepts the right username and password', async () => {
    const traceId = await sendThree(c, 'PackedForward', true, { clientHostname: 'edge-1', sharedKey: 'k', username: 'edge', password: 'pw' });
    assert.equal((await c.api<Trace>(`/api/traces/${traceId}`)).body.records.length, 3);
  });

  it('refuses a wrong password with a reason the sender sees, and counts it', async () => {
    const s = sender('edgewatch.edge-1', c.collector.forwardPort, {
      eventMode: 'PackedForward',
      requireAckResponse: true,
      enableReconnect: false,
      security: { clientHostname: 'edge-1', sharedKey: 'k', username: 'edge', password: 'nope' },
    });
    const error = new Promise<Error>((resolve) => (s as unknown as { once(e: string, f: (err: Error) => void): void }).once('error', resolve));
    s.emit('web', { msg: 'x' });
    assert.match((await error).message, /Authentication failed: username\/password mismatch/);
    assert.equal(await c.metric('edgewatch_collector_rejected_total', { reason: 'auth_failed' }), 1);
    endSender(s);
  });
});
