// Issue 11: with no shared key (the old default) anyone could send records tagged edgewatch.edge-2.ticker
// with status 500, and consecutive-5xx restarted the real task; a shared key did not bind a sender to its
// node either. An 8 KB gzip frame of 3-byte entries became 2.8 M stored records (RSS +0.9 GB); 1,024 idle
// sockets locked every exporter out; 20 trickling 15 MiB frames held 400 MB.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { emit, endSender, sender, type Sender } from '../support/collector-harness.js';
import { addNode, type NodeLogin } from '../support/node-identity.js';
import { parseExposition, sampleValue } from '../support/prom-text.js';
import { startSecureCollector, type SecureCollector } from '../support/secure-collector.js';
import { eventually } from '../support/wait.js';

const packr = new Packr({ useRecords: false });

async function rejected(c: SecureCollector, reason: string): Promise<number> {
  return sampleValue(parseExposition(await c.collector.registry.metrics()), 'edgewatch_collector_rejected_total', { reason }) ?? 0;
}

function login(n: NodeLogin) {
  return { clientHostname: n.name, sharedKey: n.sharedKey, username: n.name, password: n.password };
}

/** A node's well-behaved shipping (acked records, one at a time) until stopped. */
function steady(port: number, n: NodeLogin) {
  const s: Sender = sender(`edgewatch.${n.name}`, port, { eventMode: 'PackedForward', requireAckResponse: true, security: login(n) });
  let acked = 0;
  let running = true;
  const done = (async () => {
    while (running) {
      await emit(s, 'steady', { msg: `steady ${acked}`, level: 'info' });
      acked++;
    }
  })();
  return {
    async more(k: number) {
      const target = acked + k;
      while (acked < target) await new Promise((r) => setTimeout(r, 5));
    },
    async stop() {
      running = false;
      await done;
      endSender(s);
    },
  };
}

describe('forward input: every sender logs in and speaks only for itself', () => {
  let c: SecureCollector;
  let edge1: NodeLogin;
  before(async () => {
    c = await startSecureCollector(['forward: {listen: "127.0.0.1:0", limits: {maxConnectionsPerPeer: 50, firstFrameTimeoutSeconds: 1, frameTimeoutSeconds: 2, maxBufferedBytes: 32Mi}}']);
    edge1 = addNode(c.config, 'edge-1');
  });
  after(async () => c?.stop());
  const stored = async (node: string) => (await c.call<{ records: unknown[] }>(`/api/logs?node=${node}&limit=5000`, { token: c.tokens.viewer })).body.records.length;

  it('a sender without credentials is refused before anything is stored', async () => {
    const s = sender('edgewatch.edge-2', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, enableReconnect: false });
    await assert.rejects(emit(s, 'ticker', { msg: 'GET /', status: 500 }));
    endSender(s);
    assert.equal(await stored('edge-2'), 0);
  });

  it("edge-1's credentials cannot send edge-2's records: refused, nothing stored, no incident", async () => {
    const s = sender('edgewatch.edge-2', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, enableReconnect: false, security: login(edge1) });
    await assert.rejects((async () => {
      for (let i = 0; i < 10; i++) await emit(s, 'ticker', { msg: 'GET /', status: 500 });
    })());
    endSender(s);
    assert.ok((await rejected(c, 'tag_not_allowed')) >= 1);
    assert.equal(await stored('edge-2'), 0);
    assert.equal((await c.call<{ incidents: unknown[] }>('/api/incidents', { token: c.tokens.viewer })).body.incidents.length, 0);
    // its own tag is fine
    const own = sender('edgewatch.edge-1', c.collector.forwardPort, { eventMode: 'PackedForward', requireAckResponse: true, security: login(edge1) });
    await emit(own, 'ticker', { msg: 'GET /', status: 200 });
    endSender(own);
    assert.equal(await stored('edge-1'), 1);
  });

  it('1,024 idle sockets from one address: at most maxConnectionsPerPeer are held, only until the first-frame timeout; a node keeps shipping', async () => {
    const edge3 = addNode(c.config, 'edge-3');
    const node = steady(c.collector.forwardPort, edge3);
    await node.more(3);
    const sockets: Socket[] = [];
    for (let i = 0; i < 1024; i++) {
      const s = connect(c.collector.forwardPort, '127.0.0.1');
      s.on('error', () => undefined);
      sockets.push(s);
    }
    await eventually('per-peer refusals', async () => (await rejected(c, 'too_many_connections_per_peer')) >= 900);
    await node.more(20);
    await eventually('idle sockets closed after the first-frame timeout', async () => (await rejected(c, 'first_frame_timeout')) >= 40, { timeoutMs: 10_000 });
    for (const s of sockets) s.destroy();
    await node.more(20);
    await node.stop();
  });

  it('20 trickling 15 MiB frames are cut off (frame deadline, byte budget); memory stays bounded and a node keeps shipping', async () => {
    const edge4 = addNode(c.config, 'edge-4');
    const node = steady(c.collector.forwardPort, edge4);
    const cutOff = async () => (await rejected(c, 'frame_timeout')) + (await rejected(c, 'buffer_full'));
    const cutBefore = await cutOff();
    const rssBefore = process.memoryUsage().rss;
    const header = Buffer.concat([Buffer.from([0x93, 0xa4]), Buffer.from('evil'), Buffer.from([0xc6]), Buffer.alloc(4)]);
    header.writeUInt32BE(15 * 1024 * 1024, header.length - 4);
    const trickles = Array.from({ length: 20 }, () => {
      const s = connect(c.collector.forwardPort, '127.0.0.1');
      s.on('error', () => undefined);
      s.resume(); // read what the server sends (its HELO, then its FIN)
      // a keep-alive first (a whole frame, so the first-frame timeout is met), then the frame that never ends
      s.write(Buffer.from([0xc0]));
      s.write(header);
      return s;
    });
    const chunk = Buffer.alloc(256 * 1024, 0x61);
    let peakMB = 0;
    for (let round = 0; round < 12; round++) {
      for (const s of trickles) if (!s.destroyed) s.write(chunk);
      await new Promise((r) => setTimeout(r, 250));
      peakMB = Math.max(peakMB, (process.memoryUsage().rss - rssBefore) / 1e6);
    }
    await eventually('every trickle cut off', () => trickles.every((s) => s.destroyed || s.closed), { timeoutMs: 10_000 });
    const open = sampleValue(parseExposition(await c.collector.registry.metrics()), 'edgewatch_collector_forward_connections') ?? -1;
    assert.equal(open, 1, 'only the node\'s own connection is left');
    assert.equal((await cutOff()) - cutBefore, 20, 'each cut off by a deadline or the byte budget');
    assert.ok(peakMB < 150, `RSS grew ${peakMB.toFixed(0)} MB at most`);
    await node.more(20);
    await node.stop();
  });
});

describe('forward input: decoding limits hold for any sender', () => {
  let c: SecureCollector;
  before(async () => {
    c = await startSecureCollector(['forward: {listen: "127.0.0.1:0", nodeAuth: false}']);
  });
  after(async () => c?.stop());

  it('an 8 KB gzip frame of 3-byte entries is refused at maxEntriesPerFrame: nothing stored, memory bounded', async () => {
    // [time 0, {}] is 3 bytes of msgpack: 0x92 0x00 0x80
    const entries = Buffer.alloc(3 * 2_800_000);
    for (let i = 0; i < entries.length; i += 3) entries.set([0x92, 0x00, 0x80], i);
    const gz = gzipSync(entries, { level: 9 });
    assert.ok(gz.length < 16 * 1024, `the bomb is ${gz.length} bytes`);
    const frame = Buffer.from(packr.pack(['edgewatch.edge-1.bomb', gz, { compressed: 'gzip', chunk: 'Ym9tYg==' }]));
    const rssBefore = process.memoryUsage().rss;
    const s = connect(c.collector.forwardPort, '127.0.0.1');
    s.on('error', () => undefined);
    const closed = new Promise((r) => s.once('close', r));
    s.write(frame);
    await closed;
    assert.equal(await rejected(c, 'too_many_entries'), 1);
    const grownMB = (process.memoryUsage().rss - rssBefore) / 1e6;
    assert.ok(grownMB < 150, `RSS grew ${grownMB.toFixed(0)} MB`);
    assert.equal((await c.call<{ records: unknown[] }>('/api/logs?node=edge-1', { token: c.tokens.viewer })).body.records.length, 0);
  });
});
