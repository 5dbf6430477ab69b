import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { Packr, Unpackr } from 'msgpackr';
import { pingFor, type ForwardLogin } from './support/forward-login.js';

/**
 * The bench's forward client, in a worker thread so it does not share the collector's event loop:
 * sends pre-encoded PackedForward frames over loopback keeping `window` chunks in flight, and reports
 * when the last ack arrives.
 */
const { port, frames, window, login } = workerData as { port: number; frames: Uint8Array[]; window: number; login?: ForwardLogin };
const unpackr = new Unpackr({ useRecords: false });
const packr = new Packr({ useRecords: false });
/** Before the first frame: the handshake, when the input asks for one (HELO → PING → PONG). */
let handshaking = login !== undefined;
const socket = connect(port, '127.0.0.1');
socket.setNoDelay(true);
let sent = 0;
let acked = 0;
let pending: Buffer = Buffer.alloc(0);
const started = performance.now();

function pump(): void {
  while (sent < frames.length && sent - acked < window) socket.write(frames[sent++]!);
}

socket.on('connect', () => {
  if (!handshaking) pump();
});
socket.on('data', (data: Buffer) => {
  pending = pending.length ? Buffer.concat([pending, data]) : data;
  let values: unknown[] = [];
  try {
    values = unpackr.unpackMultiple(pending);
    pending = Buffer.alloc(0);
  } catch (err) {
    const e = err as { incomplete?: boolean; lastPosition?: number; values?: unknown[] };
    if (!e.incomplete) throw err;
    values = e.values ?? [];
    pending = pending.subarray(e.lastPosition ?? 0);
  }
  if (handshaking) {
    const [first] = values as Array<[string, unknown, unknown]>;
    if (first?.[0] === 'HELO') socket.write(Buffer.from(packr.pack(pingFor(first[1] as { nonce: Uint8Array; auth: Uint8Array }, login!))));
    else if (first?.[0] === 'PONG') {
      if (first[1] !== true) return void parentPort!.postMessage({ type: 'error', message: `login refused: ${String(first[2])}` });
      handshaking = false;
      pump();
    }
    return;
  }
  acked += values.length;
  if (acked % 50 === 0 || acked === frames.length) parentPort!.postMessage({ type: 'progress', acked });
  if (acked === frames.length) {
    parentPort!.postMessage({ type: 'done', elapsedMs: performance.now() - started });
    socket.end();
  } else {
    pump();
  }
});
socket.on('error', (err) => parentPort!.postMessage({ type: 'error', message: err.message }));
