import { randomBytes } from 'node:crypto';
import type { LogRecord } from '../../protocol/log-record.js';
import { encodeFrame, FRAME_HEADER, scanFrames } from './frame.js';
import { SpoolFiles } from './spool-files.js';

/** Where a batch comes from: the live lane reads the newest segment, the backlog lane the oldest sealed one. */
export type Lane = 'live' | 'backlog';

/** Records read from the spool for one delivery attempt; acked as a whole. */
export interface SpoolBatch {
  lane: Lane;
  segment: number;
  start: number;
  end: number;
  records: LogRecord[];
}

/** What the spool reports (the agent's metrics and log). */
export interface SpoolEvents {
  /** `spool_error`: the disk refused a write (full, read-only, removed); see {@link GuardedSpool}. */
  dropped(records: number, reason: 'spool_full' | 'corrupt' | 'spool_error'): void;
  quarantined(bytes: number, path: string): void;
}

/** What the shipper needs of a spool (the {@link Spool} itself, or the guard around it). */
export type SpoolReader = Pick<Spool, 'nextBatch' | 'ack' | 'sealActive' | 'stats'>;

export interface SpoolOptions {
  maxBytes: number;
  /** Segment size; defaults to min(8 MiB, maxBytes/8) so the cap drops old data in small steps. */
  segmentBytes?: number;
}

interface Segment {
  n: number;
  fd: number;
  size: number;
  acked: number;
  records: number;
  ackedRecords: number;
}

interface State {
  acks: Record<string, number>;
  nextSeq: number;
}

/**
 * A size-capped disk spool of log records: append-only segment files of CRC-framed JSON records.
 * A record leaves the spool only when its batch is acked (or when the cap drops the oldest segment),
 * so delivery survives link outages and exporter restarts. A torn tail found at startup is quarantined.
 */
export class Spool {
  readonly id: string;
  private readonly files: SpoolFiles;
  private readonly segments: Segment[] = [];
  private readonly segmentBytes: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingRecords = 0;
  private nextSeq = 0;
  private dirty = false;
  /** The directory's identity when opened (see {@link SpoolFiles.identity}). */
  private readonly openedAs: string | undefined;

  constructor(
    dir: string,
    private readonly options: SpoolOptions,
    private readonly events: SpoolEvents,
  ) {
    this.files = new SpoolFiles(dir);
    this.openedAs = this.files.identity();
    this.segmentBytes = options.segmentBytes ?? Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(options.maxBytes / 8)));
    const meta = this.files.readJson<{ id: string }>('spool.json');
    this.id = meta?.id ?? randomBytes(8).toString('hex');
    if (!meta) this.files.writeJson('spool.json', { id: this.id });
    try {
      this.recover();
    } catch (err) {
      this.release();
      throw err;
    }
  }

  /** False when the spool directory was removed or replaced since it was opened: the files are gone. */
  dirIntact(): boolean {
    const now = this.files.identity();
    return now !== undefined && now === this.openedAs;
  }

  /** Adds a record (buffered until {@link flush}); returns its sequence number. */
  append(record: LogRecord): number {
    const seq = this.nextSeq++;
    const frame = encodeFrame(Buffer.from(JSON.stringify({ ...record, sid: this.id, seq })));
    this.pending.push(frame);
    this.pendingBytes += frame.length;
    this.pendingRecords++;
    if (this.pendingBytes >= 256 * 1024) this.flush();
    return seq;
  }

  /**
   * Writes buffered records to the active segment, rotating it when full and enforcing the size cap. A
   * write the disk refuses throws with the buffer kept and the segment cut back to its last whole frame
   * (a full disk can take half a write), so the caller decides between retrying and {@link dropPending}.
   */
  flush(): void {
    this.rotateIfFull(); // a rotation that failed last time is tried again first
    if (this.pendingRecords === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const active = this.active();
    try {
      this.files.append(active.fd, data);
    } catch (err) {
      this.cutBack(active);
      throw err;
    }
    active.size += data.length;
    active.records += this.pendingRecords;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingRecords = 0;
    this.enforceCap();
    this.rotateIfFull();
  }

  /** Discards the records not yet written; returns how many. */
  dropPending(): number {
    const n = this.pendingRecords;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingRecords = 0;
    return n;
  }

  /** Writes the ack offsets now, whether or not they changed: tells whether the spool dir takes writes. */
  probe(): void {
    this.dirty = true;
    this.persist();
  }

  /** Seals the active segment if it holds unsent records, so they drain as backlog and new records start fresh. */
  sealActive(): void {
    this.flush();
    const active = this.active();
    if (active.acked < active.size) this.segments.push(this.openSegment(active.n + 1));
  }

  /** The next unacked records of a lane, at most `maxRecords` / about `maxBytes`; undefined when none. */
  nextBatch(lane: Lane, maxRecords: number, maxBytes: number): SpoolBatch | undefined {
    this.flush();
    const seg = lane === 'live' ? this.segments.at(-1) : this.segments.slice(0, -1).find((s) => s.acked < s.size);
    if (!seg || seg.acked >= seg.size) return undefined;
    const bytes = this.files.readAt(seg.fd, seg.acked, Math.min(seg.size - seg.acked, Math.max(maxBytes, FRAME_HEADER + 1024 * 1024)));
    const scan = scanFrames(bytes, maxRecords);
    if (scan.payloads.length === 0) {
      // unreadable bytes in the middle of a segment: move them aside and skip the rest of the segment
      const path = this.files.quarantine(seg.n, seg.acked, bytes);
      this.events.quarantined(seg.size - seg.acked, path);
      this.events.dropped(seg.records - seg.ackedRecords, 'corrupt');
      this.markAcked(seg, seg.size, seg.records - seg.ackedRecords);
      return this.nextBatch(lane, maxRecords, maxBytes);
    }
    const records = scan.payloads.map((p) => JSON.parse(p.toString('utf8')) as LogRecord);
    return { lane, segment: seg.n, start: seg.acked, end: seg.acked + scan.validEnd, records };
  }

  /** Marks a delivered batch; a batch whose segment was dropped or already acked is ignored. */
  ack(batch: SpoolBatch): void {
    const seg = this.segments.find((s) => s.n === batch.segment);
    if (!seg || seg.acked !== batch.start) return;
    this.markAcked(seg, batch.end, batch.records.length);
  }

  /** Unacked records and bytes on disk and in the write buffer. */
  stats(): { records: number; bytes: number; capacityBytes: number; backlogSegments: number } {
    let records = this.pendingRecords;
    let bytes = this.pendingBytes;
    for (const s of this.segments) {
      records += s.records - s.ackedRecords;
      bytes += s.size;
    }
    const backlogSegments = this.segments.slice(0, -1).filter((s) => s.acked < s.size).length;
    return { records, bytes, capacityBytes: this.options.maxBytes, backlogSegments };
  }

  /** Persists ack offsets if they changed (called on a timer: losing the last second only causes resends). */
  persist(): void {
    if (!this.dirty) return;
    const acks: Record<string, number> = {};
    for (const s of this.segments) acks[this.files.segmentName(s.n)] = s.acked;
    this.files.writeJson('acks.json', { acks, nextSeq: this.nextSeq } satisfies State);
    this.dirty = false;
  }

  /** Flushes and persists, then closes every segment (the files are closed even when the writes fail). */
  close(): void {
    try {
      this.flush();
      this.dirty = true;
      this.persist();
    } finally {
      this.release();
    }
  }

  /** Closes the segment files without writing anything (the spool dir is gone or refuses writes). */
  release(): void {
    for (const s of this.segments) {
      try {
        this.files.close(s.fd);
      } catch {
        // already closed
      }
    }
    this.segments.length = 0;
  }

  private active(): Segment {
    return this.segments.at(-1)!;
  }

  private rotateIfFull(): void {
    const active = this.active();
    if (active.size >= this.segmentBytes) this.segments.push(this.openSegment(active.n + 1));
  }

  /** Truncates a segment back to the bytes the spool knows of, after a write that may have landed in part. */
  private cutBack(seg: Segment): void {
    try {
      this.files.truncate(seg.fd, seg.size);
    } catch {
      // a read-only disk took nothing; anything else is a torn tail that recovery quarantines
    }
  }

  private markAcked(seg: Segment, offset: number, records: number): void {
    seg.acked = offset;
    seg.ackedRecords += records;
    this.dirty = true;
    if (seg !== this.active() && seg.acked >= seg.size) {
      this.files.close(seg.fd);
      this.files.removeSegment(seg.n);
      this.segments.splice(this.segments.indexOf(seg), 1);
      this.persist();
    }
  }

  private enforceCap(): void {
    let total = this.segments.reduce((a, s) => a + s.size, 0);
    while (total > this.options.maxBytes && this.segments.length > 1) {
      const oldest = this.segments.shift()!;
      total -= oldest.size;
      const lost = oldest.records - oldest.ackedRecords;
      this.files.close(oldest.fd);
      this.files.removeSegment(oldest.n);
      if (lost > 0) this.events.dropped(lost, 'spool_full');
      this.dirty = true;
    }
  }

  private openSegment(n: number): Segment {
    const fd = this.files.openSegment(n);
    return { n, fd, size: this.files.sizeOf(fd), acked: 0, records: 0, ackedRecords: 0 };
  }

  /** Rebuilds segment state from disk: validates every frame, quarantines a damaged tail, restores acks. */
  private recover(): void {
    const state = this.files.readJson<State>('acks.json');
    this.nextSeq = state?.nextSeq ?? 0;
    for (const n of this.files.listSegments()) {
      const buf = this.files.readSegment(n);
      const scan = scanFrames(buf);
      const seg = this.openSegment(n);
      if (scan.damage) {
        const path = this.files.quarantine(n, scan.validEnd, buf.subarray(scan.validEnd));
        this.files.truncate(seg.fd, scan.validEnd);
        seg.size = scan.validEnd;
        this.events.quarantined(buf.length - scan.validEnd, path);
      }
      const ackedAt = Math.min(state?.acks[this.files.segmentName(n)] ?? 0, seg.size);
      let off = 0;
      for (const p of scan.payloads) {
        off += FRAME_HEADER + p.length;
        if (off <= ackedAt) seg.ackedRecords++;
      }
      seg.records = scan.payloads.length;
      seg.acked = ackedAt;
      const last = scan.payloads.at(-1);
      if (last) this.nextSeq = Math.max(this.nextSeq, ((JSON.parse(last.toString('utf8')) as LogRecord).seq ?? -1) + 1);
      this.segments.push(seg);
    }
    // fully acked sealed segments left by a crash
    for (const s of this.segments.slice(0, -1)) if (s.acked >= s.size) this.markAcked(s, s.size, 0);
    const last = this.segments.at(-1);
    if (!last || last.size >= this.segmentBytes) this.segments.push(this.openSegment((last?.n ?? 0) + 1));
  }
}
