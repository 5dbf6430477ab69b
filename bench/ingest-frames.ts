import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import { recordTag, type LogRecord } from '../protocol/log-record.js';

/** Pre-encoded PackedForward traffic: each frame plus its entries payload (for the decode floor). */
export interface BenchTraffic {
  frames: Buffer[];
  payloads: Buffer[];
  records: number;
  traceIds: string[];
}

const packr = new Packr({ useRecords: false });

function eventTime(ms: number): Buffer {
  // fixext 8, type 0 (EventTime): seconds and nanoseconds, big-endian.
  const b = Buffer.allocUnsafe(10);
  b[0] = 0xd7;
  b[1] = 0;
  b.writeUInt32BE(Math.floor(ms / 1000), 2);
  b.writeUInt32BE((ms % 1000) * 1_000_000 + 123, 6);
  return b;
}

/**
 * Builds `records` exporter-style log records of node edge-1 with trace ids spread over 8 task tags, packed
 * `perChunk` to a PackedForward frame with a chunk id (so every frame is acked).
 */
export function buildTraffic(records: number, perChunk: number, startMs: number): BenchTraffic {
  // one node (a sender logs in as its node and may only send its own tags), eight tasks
  const nodes = ['edge-1'];
  const tasks = ['web', 'api', 'auth', 'cart', 'search', 'pay', 'ship', 'mail'];
  const traceIds: string[] = [];
  const frames: Buffer[] = [];
  const payloads: Buffer[] = [];
  let made = 0;
  let chunkNo = 0;
  while (made < records) {
    const node = nodes[chunkNo % nodes.length]!;
    const task = tasks[Math.floor(chunkNo / nodes.length) % tasks.length]!;
    const n = Math.min(perChunk, records - made);
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const ms = startMs + made + i;
      // Four records per trace, as a request crossing a few services would leave.
      if ((made + i) % 4 === 0) traceIds.push(randomBytes(16).toString('hex'));
      const rec: LogRecord = {
        ts: ms,
        node,
        task,
        version: '1.4.2',
        stream: 'stdout',
        level: i % 50 === 0 ? 'error' : 'info',
        msg: `GET /api/items/${(made + i) % 977} served`,
        trace_id: traceIds[traceIds.length - 1]!,
        span_id: randomBytes(8).toString('hex'),
        status: i % 50 === 0 ? 500 : 200,
        duration_ms: (i % 97) + 0.5,
      };
      parts.push(Buffer.from([0x92]), eventTime(ms), Buffer.from(packr.pack(rec)));
    }
    const payload = Buffer.concat(parts);
    const packed = packr.pack([recordTag(node, task), payload, { chunk: randomBytes(16).toString('base64'), size: n }]);
    // A frame of its own ArrayBuffer, so it can be transferred to the sender's worker.
    const frame = Buffer.from(new Uint8Array(packed).buffer);
    frames.push(frame);
    payloads.push(payload);
    made += n;
    chunkNo++;
  }
  return { frames, payloads, records: made, traceIds };
}
