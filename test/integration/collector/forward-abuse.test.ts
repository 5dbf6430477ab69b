// Guards the Fluentd warning (docs.fluentd.org, input/forward) that crafted packets can take down an
// unauthenticated forward input: each bad input costs only its own connection, with a metric.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { emit, endSender, RawForwardClient, sender, startTestCollector, type Sender, type TestCollector } from '../../support/collector-harness.js';

const packr = new Packr({ useRecords: false });

/** A well-behaved client that keeps sending acked records until stopped. */
function steadyClient(c: TestCollector, security?: { clientHostname: string; sharedKey: string }) {
  const s: Sender = sender('edgewatch.edge-9', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, ...(security ? { security } : {}) });
  let acked = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      await emit(s, 'steady', { msg: `steady ${acked}`, level: 'info' });
      acked++;
    }
  })();
  return {
    get acked() {
      return acked;
    },
    /** Resolves once `n` more records have been acked. */
    async more(n: number) {
      const target = acked + n;
      while (acked < target) await new Promise((r) => setImmediate(r));
    },
    async stop() {
      running = false;
      await done;
      endSender(s);
    },
  };
}

async function rejectedBy(c: TestCollector, raw: RawForwardClient, reason: string, before: number) {
  await raw.closed;
  assert.equal(await c.metric('edgewatch_collector_rejected_total', { reason }), before + 1, `rejected_total{reason="${reason}"}`);
}

describe('forward input under abuse keeps serving other clients', () => {
  let c: TestCollector;
  let steady: ReturnType<typeof steadyClient>;
  before(async () => {
    c = await startTestCollector({ limits: { maxFrameBytes: '64Ki', maxDecompressedBytes: '1Mi' } });
    steady = steadyClient(c);
    await steady.more(3);
  });
  after(async () => {
    await steady.stop();
    await c.stop();
  });

  const attacks: Array<[string, string, () => Uint8Array]> = [
    ['malformed msgpack', 'malformed', () => Buffer.from([0x93, 0xc1, 0xc1, 0xc1])],
    ['a frame that is not an array', 'malformed', () => packr.pack({ tag: 'x' })],
    ['an unknown event mode', 'unsupported_mode', () => packr.pack(['edgewatch.edge-1.web', { not: 'entries' }])],
    ['undecodable PackedForward entries', 'malformed', () => packr.pack(['edgewatch.edge-1.web', Buffer.from([0xdc, 0xff, 0xff]), { chunk: 'x' }])],
    ['an oversized frame', 'frame_too_large', () => packr.pack(['edgewatch.edge-1.web', randomBytes(100 * 1024)])],
    [
      'a gzip bomb (64 MiB of zeros in a 64 KiB-limited frame)',
      'decompressed_too_large',
      () => packr.pack(['edgewatch.edge-1.web', gzipSync(Buffer.alloc(64 * 1024 * 1024)), { compressed: 'gzip', chunk: 'bomb' }]),
    ],
    ['nesting too deep', 'too_deep', () => Buffer.concat([Buffer.from([0x92, 0xa1, 0x61]), Buffer.alloc(100, 0x91), Buffer.from([0xc0])])],
  ];
  for (const [what, reason, frame] of attacks) {
    it(`${what}: closes that connection, counts rejected_total{reason="${reason}"}`, async () => {
      const before = (await c.metric('edgewatch_collector_rejected_total', { reason })) ?? 0;
      const raw = new RawForwardClient(c.collector.forwardPort);
      raw.send(frame());
      await rejectedBy(c, raw, reason, before);
      await steady.more(3);
    });
  }

  it('a bad entry inside a good frame is dropped and counted; the rest is stored and acked', async () => {
    const raw = new RawForwardClient(c.collector.forwardPort);
    raw.send(packr.pack(['edgewatch.edge-1.web', [[1767225600, 'not a map'], [1767225600, { msg: 'kept' }]], { chunk: 'mixed' }]));
    assert.deepEqual(await raw.next(), { ack: 'mixed' });
    raw.close();
    assert.equal(await c.metric('edgewatch_collector_rejected_total', { reason: 'bad_entry' }), 1);
    const logs = await c.api<{ records: Array<{ msg: string }> }>('/api/logs?node=edge-1&task=web');
    assert.deepEqual(logs.body.records.map((r) => r.msg), ['kept']);
  });

  it('the collector still serves and counts the steady client', async () => {
    await steady.more(3);
    assert.ok(((await c.metric('edgewatch_collector_ingested_records_total', { input: 'forward' })) ?? 0) >= steady.acked);
    assert.equal(await c.metric('edgewatch_collector_forward_connections'), 1);
  });
});

describe('forward input with a shared key refuses strangers', () => {
  let c: TestCollector;
  before(async () => {
    c = await startTestCollector({ sharedKey: 'right-key', limits: { handshakeTimeoutSeconds: 0.2 } });
  });
  after(() => c.stop());

  it('a wrong shared key is refused (PONG false, metric) while a client with the right key keeps sending', async () => {
    const steady = steadyClient(c, { clientHostname: 'edge-9', sharedKey: 'right-key' });
    await steady.more(2);
    const bad = sender('edgewatch.edge-6', c.collector.forwardPort, {
      eventMode: 'PackedForward',
      requireAckResponse: true,
      enableReconnect: false,
      security: { clientHostname: 'edge-6', sharedKey: 'wrong-key' },
    });
    const error = new Promise<Error>((resolve) => (bad as unknown as { once(e: string, f: (err: Error) => void): void }).once('error', resolve));
    bad.emit('web', { msg: 'intruder' });
    assert.match((await error).message, /Authentication failed: shared_key mismatch/);
    endSender(bad);
    assert.equal(await c.metric('edgewatch_collector_rejected_total', { reason: 'auth_failed' }), 1);
    await steady.more(2);
    await steady.stop();
    const logs = await c.api<{ records: unknown[] }>('/api/logs?node=edge-6');
    assert.deepEqual(logs.body.records, []);
  });

  it('events without the handshake are refused', async () => {
    const raw = new RawForwardClient(c.collector.forwardPort);
    const helo = (await raw.next()) as [string, { nonce: Uint8Array; keepalive: boolean }];
    assert.equal(helo[0], 'HELO');
    assert.equal(helo[1].nonce.length, 16);
    raw.send(packr.pack(['edgewatch.edge-1.web', 1767225600, { msg: 'sneaky' }]));
    await rejectedBy(c, raw, 'handshake_required', 0);
  });

  it('a client that never answers HELO is dropped after the handshake timeout', async () => {
    const raw = new RawForwardClient(c.collector.forwardPort);
    await rejectedBy(c, raw, 'handshake_timeout', 0);
  });
});
