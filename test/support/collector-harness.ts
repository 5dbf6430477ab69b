import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import fluent from 'fluent-logger';
import { Unpackr } from 'msgpackr';
import { loadCollectorConfig } from '../../collector/config.js';
import { startCollector, type RunningCollector } from '../../collector/main.js';
import { silentLogger } from '../../common/logger.js';
import { tempDir } from './paths.js';
import { parseExposition, sampleValue } from './prom-text.js';

/** A collector on ephemeral ports with its store in a temporary directory. */
export interface TestCollector {
  collector: RunningCollector;
  dir: string;
  api<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  metric(name: string, labels?: Record<string, string>): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** Starts a collector with these forward and store keys (as in the YAML file) on ephemeral ports. */
export async function startTestCollector(forward: Record<string, unknown> = {}, store: Record<string, unknown> = {}): Promise<TestCollector> {
  const tmp = tempDir('edgewatch-collector-');
  // JSON is YAML, so the keys go through the real config loader and its defaults.
  const config = loadCollectorConfig(
    [
      'http: {listen: "127.0.0.1:0"}',
      // the forward tests here are about the protocol: node credentials are tested in test/security
      `forward: ${JSON.stringify({ listen: '127.0.0.1:0', nodeAuth: false, ...forward })}`,
      'mqtt: {embedded: {listen: "127.0.0.1:0"}}',
      `store: ${JSON.stringify({ path: join(tmp.dir, 'collector.db'), ...store })}`,
    ].join('\n'),
  );
  const collector = await startCollector(config, { logger: silentLogger });
  const base = `http://127.0.0.1:${collector.httpPort}`;
  return {
    collector,
    dir: tmp.dir,
    async api<T>(path: string) {
      const res = await fetch(base + path);
      return { status: res.status, body: (await res.json()) as T };
    },
    async metric(name, labels = {}) {
      return sampleValue(parseExposition(await collector.registry.metrics()), name, labels);
    },
    async stop() {
      await collector.stop();
      tmp.cleanup();
    },
  };
}

/** The fluent-logger sender the exporter and cloud services use, with its console chatter silenced. */
export type Sender = ReturnType<typeof fluent.createFluentSender<Record<string, unknown>>>;

/** Options for {@link sender}: eventMode as fluent-logger spells it, plus its security block. */
export interface SenderOptions {
  eventMode: 'Message' | 'PackedForward' | 'CompressedPackedForward';
  requireAckResponse?: boolean;
  security?: { clientHostname: string; sharedKey: string; username?: string; password?: string };
  /** false for senders expected to fail, so fluent-logger does not keep reconnecting after the test. */
  enableReconnect?: boolean;
}

/** A real fluent-logger sender to `port`, flushing every 5 ms. */
export function sender(tagPrefix: string, port: number, options: SenderOptions): Sender {
  return fluent.createFluentSender<Record<string, unknown>>(tagPrefix, {
    host: '127.0.0.1',
    port,
    flushInterval: 5,
    ackResponseTimeout: 5000,
    reconnectInterval: 100,
    internalLogger: { info() {}, error() {} },
    ...options,
  } as Parameters<typeof fluent.createFluentSender>[1]);
}

/** Emits one record and resolves when fluent-logger calls back (after the ack when requireAckResponse is on). */
export function emit(s: Sender, label: string, record: Record<string, unknown>, time?: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error) => (err ? reject(err) : resolve());
    if (time === undefined) s.emit(label, record, cb);
    else (s.emit as (l: string, r: unknown, t: unknown, cb: (err?: Error) => void) => void)(label, record, time, cb);
  });
}

/** fluent-logger's EventTime (ext 0, seconds + nanoseconds). */
export function eventTime(sec: number, nsec: number): unknown {
  const Ctor = (fluent as unknown as { EventTime: new (s: number, n: number) => unknown }).EventTime;
  return new Ctor(sec, nsec);
}

/** A hand-driven forward connection for frames no well-behaved client sends. */
export class RawForwardClient {
  readonly socket: Socket;
  private readonly unpackr = new Unpackr({ useRecords: false });
  private readonly received: unknown[] = [];
  private waiters: Array<() => void> = [];
  private pending = Buffer.alloc(0);
  private isClosed = false;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('error', () => {});
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.isClosed = true;
        for (const w of this.waiters.splice(0)) w();
        resolve();
      }),
    );
    this.socket.on('data', (d: Buffer) => {
      this.pending = Buffer.concat([this.pending, d]);
      try {
        this.received.push(...this.unpackr.unpackMultiple(this.pending));
        this.pending = Buffer.alloc(0);
      } catch (err) {
        const e = err as { incomplete?: boolean; lastPosition?: number; values?: unknown[] };
        if (!e.incomplete) throw err;
        this.received.push(...(e.values ?? []));
        this.pending = this.pending.subarray(e.lastPosition ?? 0);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next message the server sends; rejects if the server closes the connection first. */
  async next(): Promise<unknown> {
    while (this.received.length === 0) {
      if (this.isClosed) throw new Error('connection closed by the server');
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return this.received.shift();
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Closes a sender's connection (fluent-logger's typings only know the three-argument end()). */
export function endSender(s: Sender): void {
  (s as unknown as { end(): void }).end();
}
