import { createRequire } from 'node:module';
import type { LogRecord } from '../../protocol/log-record.js';
import type { ForwardClient } from '../spool/shipper.js';

const require = createRequire(import.meta.url);

interface FluentSender {
  emit(label: string, data: object, timestamp: unknown, callback: (err?: Error) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'connect', fn: () => void): void;
  end(label?: unknown, data?: unknown, callback?: () => void): void;
  _disconnect?(): void;
  _socket?: { setNoDelay(on: boolean): void } | null;
}

export interface FluentClientOptions {
  /** The collector's forward input, then other replicas' (`forward.failover`), tried in turn. */
  addresses: ReadonlyArray<{ host: string; port: number }>;
  node: string;
  sharedKey?: string;
  /** Node credentials of the forward handshake (with the shared key). */
  username?: string;
  password?: string;
  tls: boolean;
  flushIntervalMs: number;
  ackTimeoutMs: number;
}

/**
 * Ships records with fluent-logger in PackedForward mode with `requireAckResponse`: one chunk per tag
 * (`edgewatch.<node>.<task>`) and flush, each resolved by the collector's `{ack: chunk}`. fluent-logger's
 * queue lives in memory and is dropped on error, so a failed send here rejects and the spool resends.
 * Loaded lazily: an exporter without `forward.address` never pays for fluent-logger.
 */
export class FluentForwardClient implements ForwardClient {
  private sender: FluentSender | undefined;
  private failCurrent: ((err: Error) => void) | undefined;
  /** The address in use; a failed connection moves on to the next (a standby replica refuses). */
  private at = 0;
  private readonly lib: { createFluentSender(tag: string, options: object): FluentSender; EventTime: new (sec: number, nsec: number) => unknown };

  constructor(private readonly options: FluentClientOptions) {
    this.lib = require('fluent-logger');
  }

  private connect(): FluentSender {
    const o = this.options;
    const { host, port } = o.addresses[this.at % o.addresses.length]!;
    const sender = this.lib.createFluentSender(`edgewatch.${o.node}`, {
      host,
      port,
      eventMode: 'PackedForward',
      requireAckResponse: true,
      ackResponseTimeout: o.ackTimeoutMs,
      flushInterval: o.flushIntervalMs,
      timeout: 5,
      tls: o.tls,
      enableReconnect: false,
      internalLogger: { info() {}, error() {} },
      ...(o.sharedKey ? { security: { clientHostname: o.node, sharedKey: o.sharedKey, username: o.username ?? '', password: o.password ?? '' } } : {}),
    });
    sender.on('error', (err) => this.failCurrent?.(err));
    // acks are tiny: without this, Nagle and delayed ACKs stall each chunk's round trip
    sender.on('connect', () => sender._socket?.setNoDelay(true));
    return sender;
  }

  send(records: LogRecord[]): Promise<void> {
    const sender = (this.sender ??= this.connect());
    return new Promise<void>((resolve, reject) => {
      let remaining = records.length;
      let settled = false;
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.failCurrent = undefined;
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => finish(new Error(`no ack within ${this.options.ackTimeoutMs} ms`)), this.options.ackTimeoutMs);
      this.failCurrent = finish;
      for (const r of records) {
        const sec = Math.floor(r.ts / 1000);
        const time = new this.lib.EventTime(sec, Math.round((r.ts - sec * 1000) * 1e6));
        sender.emit(r.task, r, time, (err) => {
          if (err) finish(err);
          else if (--remaining === 0) finish();
        });
      }
    });
  }

  reset(): void {
    const s = this.sender;
    this.sender = undefined;
    // the shipper resets after a failed send: the next attempt goes to the next replica
    this.at = (this.at + 1) % this.options.addresses.length;
    if (!s) return;
    try {
      if (s._disconnect) s._disconnect();
      else s.end();
    } catch {
      // the socket is already gone
    }
  }

  async close(): Promise<void> {
    this.reset();
  }
}
