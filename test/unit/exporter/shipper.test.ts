import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/logger.js';
import { Shipper, type ForwardClient } from '../../../exporter/spool/shipper.js';
import { Spool } from '../../../exporter/spool/spool.js';
import type { LogRecord } from '../../../protocol/log-record.js';
import { tempDir } from '../../support/paths.js';
import { flush } from '../../support/supervisor-harness.js';

const rec = (i: number): LogRecord => ({ ts: i, node: 'n', task: 't', stream: 'stdout', level: 'info', msg: String(i) });

/** A client whose sends the test settles by hand. */
class ManualClient implements ForwardClient {
  readonly sent: Array<{ records: LogRecord[]; resolve(): void; reject(e: Error): void }> = [];
  resets = 0;
  send(records: LogRecord[]) {
    return new Promise<void>((resolve, reject) => this.sent.push({ records, resolve, reject }));
  }
  reset() {
    this.resets++;
  }
  async close() {}
  get last() {
    return this.sent.at(-1)!;
  }
}

describe('Shipper on a fake clock', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  function setup(drainRecordsPerSecond = 1000) {
    const clock = new FakeClock();
    const spool = new Spool(tmp.dir, { maxBytes: 1 << 24 }, { dropped() {}, quarantined() {} });
    const client = new ManualClient();
    const shipped: Array<[number, string]> = [];
    const shipper = new Shipper(
      spool,
      client,
      { batchRecords: 100, batchBytes: 1 << 20, drainRecordsPerSecond, retryInitialMs: 500, retryMaxMs: 30_000 },
      clock,
      { shipped: (n, lane) => shipped.push([n, lane]), failed() {}, connected() {} },
      silentLogger,
      () => 1, // no jitter: the retry waits the full backoff
    );
    return { clock, spool, client, shipper, shipped };
  }

  it('removes records only once acked, and resends the same records after a failure with backoff', async () => {
    const { clock, spool, client, shipper } = setup();
    shipper.start();
    for (let i = 0; i < 5; i++) spool.append(rec(i));
    shipper.wake();
    assert.equal(client.sent.length, 1);
    client.last.reject(new Error('connection refused'));
    await flush();
    assert.equal(spool.stats().records, 5, 'nothing left the spool');
    assert.equal(client.resets, 1);
    clock.advance(499);
    assert.equal(client.sent.length, 1, 'no resend before the backoff');
    clock.advance(1);
    assert.equal(client.sent.length, 2);
    assert.deepEqual(client.last.records.map((r) => r.seq), [0, 1, 2, 3, 4]);
    client.last.reject(new Error('no ack'));
    await flush();
    clock.advance(999);
    assert.equal(client.sent.length, 2, 'the second retry waits twice as long');
    clock.advance(1);
    client.last.resolve();
    await flush();
    assert.equal(spool.stats().records, 0);
    spool.close();
  });

  it('after an outage drains the backlog at the configured rate while live records go out promptly', async () => {
    const { clock, spool, client, shipper, shipped } = setup(200);
    shipper.start();
    spool.append(rec(0));
    shipper.wake();
    client.last.reject(new Error('link down'));
    await flush();
    for (let i = 1; i <= 1000; i++) spool.append(rec(i)); // written during the outage
    clock.advance(500);
    client.last.resolve(); // the link is back: the retry carried live... or backlog records
    await flush();
    // from now on, every second: a few live records arrive
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < 10; i++) spool.append(rec(10_000 + s * 10 + i));
      shipper.wake();
      for (let k = 0; k < 20 && client.sent.length > 0; k++) {
        const pending = client.sent.splice(0);
        for (const p of pending) p.resolve();
        await flush();
      }
      clock.advance(1000);
    }
    const live = shipped.filter(([, lane]) => lane === 'live').reduce((a, [n]) => a + n, 0);
    const backlog = shipped.filter(([, lane]) => lane === 'backlog').reduce((a, [n]) => a + n, 0);
    assert.equal(live, 30, 'every live record shipped within its second');
    assert.ok(backlog >= 200 && backlog <= 200 + 3 * 200, `backlog shipped ${backlog} records in ~3.5 s at 200/s`);
    assert.ok(spool.stats().records > 0, 'the backlog is still draining');
    spool.close();
  });
});
