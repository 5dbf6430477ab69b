import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import { recordTag } from '../../protocol/log-record.js';

const packr = new Packr({ useRecords: false });

/** A record's `seq` before stamping: packs as a uint32 (0xce + 4 bytes) that is rewritten at send time. */
export const SEQ_PLACEHOLDER = 0xfffffff0;
const SEQ_BYTES = Buffer.from([0xce, 0xff, 0xff, 0xff, 0xf0]);

/**
 * A PackedForward frame encoded once and stamped at send time: each entry's EventTime and the chunk id
 * are rewritten in place, so sending costs a few byte writes, not an encoding.
 */
export class FrameTemplate {
  private readonly bytes: Buffer;
  private readonly timeOffsets: number[] = [];
  private readonly seqOffsets: number[] = [];
  private nextSeq = 0;
  private readonly chunkOffset: number;
  readonly records: number;

  constructor(node: string, task: string, records: Array<Record<string, unknown>>) {
    const parts: Buffer[] = [];
    const rel: number[] = [];
    const seqRel: number[] = [];
    let pos = 0;
    for (const r of records) {
      const time = Buffer.from([0xd7, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
      const body = Buffer.from(packr.pack(r));
      parts.push(Buffer.from([0x92]), time, body);
      rel.push(pos + 1 + 2);
      const seqAt = body.indexOf(SEQ_BYTES);
      if (seqAt >= 0) seqRel.push(pos + 1 + time.length + seqAt + 1);
      pos += 1 + time.length + body.length;
    }
    const payload = Buffer.concat(parts);
    const chunk = randomBytes(16).toString('base64');
    this.bytes = Buffer.from(packr.pack([recordTag(node, task), payload, { chunk, size: records.length }]));
    const payloadAt = this.bytes.indexOf(payload);
    for (const r of rel) this.timeOffsets.push(payloadAt + r);
    for (const r of seqRel) this.seqOffsets.push(payloadAt + r);
    this.chunkOffset = this.bytes.indexOf(Buffer.from(chunk));
    this.records = records.length;
  }

  /** The frame stamped with `nowMs` (entries 1 ms apart) and a fresh chunk id; returns the chunk id. */
  stamp(nowMs: number): { frame: Buffer; chunk: string } {
    for (let i = 0; i < this.timeOffsets.length; i++) {
      const ms = nowMs - (this.timeOffsets.length - 1 - i);
      this.bytes.writeUInt32BE(Math.floor(ms / 1000), this.timeOffsets[i]!);
      this.bytes.writeUInt32BE((ms % 1000) * 1_000_000, this.timeOffsets[i]! + 4);
    }
    // the spool's delivery identity: consecutive sequence numbers, as an exporter's records carry
    for (const at of this.seqOffsets) this.bytes.writeUInt32BE(this.nextSeq++, at);
    const chunk = randomBytes(16).toString('base64');
    this.bytes.write(chunk, this.chunkOffset, 'latin1');
    return { frame: Buffer.from(this.bytes), chunk };
  }
}

/** Six request lines of a node's task with `status`, each with the node's spool id and a sequence number. */
export function requestLines(node: string, task: string, status: number, sid: string): Array<Record<string, unknown>> {
  return Array.from({ length: 6 }, (_, i) => ({
    node,
    task,
    sid,
    seq: SEQ_PLACEHOLDER,
    level: status >= 500 ? 'error' : 'info',
    msg: `GET /api/items/${i}`,
    status,
    duration_ms: 8 + i,
    trace_id: randomBytes(16).toString('hex'),
  }));
}
