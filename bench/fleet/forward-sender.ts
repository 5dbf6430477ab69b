import { connect, type Socket } from 'node:net';
import { Packr, Unpackr } from 'msgpackr';
import { pingFor, type ForwardLogin } from '../support/forward-login.js';

const packr = new Packr({ useRecords: false });
/** The exporter's default `shipping.ackTimeoutMs`. */
const ACK_TIMEOUT_MS = 10_000;

/**
 * One node's forward connection: the handshake with its credentials, then frames one at a time, each
 * resolved by the collector's ack (as the exporter's shipper does).
 */
export class ForwardSender {
  private socket: Socket | undefined;
  private readonly unpackr = new Unpackr({ useRecords: false });
  private pending: Buffer = Buffer.alloc(0);
  private waiting: { chunk: string; resolve: () => void; reject: (e: Error) => void } | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly login: ForwardLogin,
  ) {}

  /** Connects and logs in (once; again after a failure). */
  open(): Promise<void> {
    if (this.ready) return this.ready;
    this.ready = new Promise<void>((resolve, reject) => {
      const s = connect(this.port, this.host);
      this.socket = s;
      s.setNoDelay(true);
      let loggedIn = false;
      s.on('error', (err) => {
        if (!loggedIn) reject(err);
      });
      s.on('close', () => {
        this.ready = undefined;
        this.waiting?.reject(new Error('connection closed'));
        this.waiting = undefined;
        if (!loggedIn) reject(new Error('closed before the handshake'));
      });
      s.on('data', (d: Buffer) => {
        this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
        let values: unknown[];
        try {
          values = this.unpackr.unpackMultiple(this.pending);
          this.pending = Buffer.alloc(0);
        } catch (err) {
          const e = err as { incomplete?: boolean; lastPosition?: number; values?: unknown[] };
          if (!e.incomplete) return void s.destroy();
          values = e.values ?? [];
          this.pending = this.pending.subarray(e.lastPosition ?? 0);
        }
        for (const v of values) {
          if (Array.isArray(v) && v[0] === 'HELO') s.write(Buffer.from(packr.pack(pingFor(v[1] as { nonce: Uint8Array; auth: Uint8Array }, this.login))));
          else if (Array.isArray(v) && v[0] === 'PONG') {
            if (v[1] !== true) return void s.destroy();
            loggedIn = true;
            resolve();
          } else if (v && typeof v === 'object' && 'ack' in v) {
            const w = this.waiting;
            if (w && (v as { ack: string }).ack === w.chunk) {
              this.waiting = undefined;
              w.resolve();
            }
          }
        }
      });
    });
    return this.ready;
  }

  /**
   * Sends one frame and resolves on its ack. Like the exporter's shipper, a login or ack that takes longer
   * than ACK_TIMEOUT_MS drops the connection; the next send opens a new one.
   */
  async send(frame: Buffer, chunk: string): Promise<void> {
    const timer = setTimeout(() => this.socket?.destroy(), ACK_TIMEOUT_MS);
    try {
      await this.open();
      await new Promise<void>((resolve, reject) => {
        this.waiting = { chunk, resolve, reject };
        this.socket!.write(frame);
      });
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.socket?.destroy();
  }
}
