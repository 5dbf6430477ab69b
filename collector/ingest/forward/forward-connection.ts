import type { Duplex } from 'node:stream';
import { Packr } from 'msgpackr';
import type { Clock, TimerHandle, Timers } from '../../../common/clock.js';
import { errorMessage } from '../../../common/errors.js';
import type { RejectReason } from '../../metrics/collector-metrics.js';
import { ingestBatch, type IngestBatch } from '../../pipeline/ingest-batch.js';
import type { Stage } from '../../pipeline/stage.js';
import { ByteQueue } from './byte-queue.js';
import { decodeFrame, type ForwardFrame } from './forward-frame.js';
import { ForwardRejection } from './forward-rejection.js';
import { FrameScanError, FrameScanner } from './frame-scanner.js';
import { checkPing, heloMessage, type HandshakeConfig, type HeloState, type SenderPrincipal } from './handshake.js';
import type { BudgetHolder, ByteBudget } from './byte-budget.js';
import { TokenBucket } from '../../../common/token-bucket.js';
import { parseRecordTag } from '../../../protocol/log-record.js';

/** Limits one connection enforces; sizes in bytes, times in ms. */
export interface ConnectionLimits {
  maxFrameBytes: number;
  maxDecompressedBytes: number;
  maxDepth: number;
  maxEntriesPerFrame: number;
  handshakeTimeoutMs: number;
  firstFrameTimeoutMs: number;
  frameTimeoutMs: number;
  recordsPerSecond: number;
  idleTimeoutMs: number;
}

/** What a connection needs from the server that owns it. */
export interface ConnectionDeps {
  pipeline: Stage<IngestBatch>;
  clock: Clock;
  timers: Timers;
  limits: ConnectionLimits;
  /** Present when senders must authenticate: the connection must complete HELO/PING/PONG first. */
  handshake: HandshakeConfig | undefined;
  /** Bytes of partial frames, shared by every connection. */
  budget: ByteBudget;
  randomBytes(n: number): Buffer;
  rejected(reason: RejectReason, message: string, peer: string): void;
  debug(message: string, fields: Record<string, unknown>): void;
}

// Frames decoded but not yet stored; past this the socket is paused so a fast sender cannot pile up memory.
const MAX_QUEUED_FRAMES = 8;
const packr = new Packr({ useRecords: false });
const CLOSE_GRACE_MS = 1000;

/**
 * One forward-protocol connection (Fluent Bit's fw_conn): splits the byte stream into frames, runs the
 * handshake, hands event frames to the pipeline one at a time and acks each chunk only after the
 * pipeline, which ends with the durable write, has resolved.
 */
export class ForwardConnection implements BudgetHolder {
  private readonly bytes = new ByteQueue();
  /** Bytes of a partial frame this connection holds (the byte budget's view of it). */
  held = 0;
  /** Who the sender logged in as (node credentials); undefined without user authentication. */
  private principal: SenderPrincipal | undefined;
  private firstFrameTimer: TimerHandle | undefined;
  private frameTimer: TimerHandle | undefined;
  private readonly records: TokenBucket;
  private readonly scanner: FrameScanner;
  private chain: Promise<void> = Promise.resolve();
  private queued = 0;
  private closedFlag = false;
  private helo: HeloState | undefined;
  private handshakeTimer: TimerHandle | undefined;
  private idleTimer: TimerHandle | undefined;
  private lastActivity: number;
  private resolveClosed!: () => void;
  /** Resolves once the connection is closed and its frames are settled. */
  readonly closed = new Promise<void>((r) => (this.resolveClosed = r));

  constructor(
    private readonly socket: Duplex,
    readonly peer: string,
    private readonly deps: ConnectionDeps,
  ) {
    this.scanner = new FrameScanner(deps.limits.maxFrameBytes, deps.limits.maxDepth);
    this.lastActivity = deps.clock.now();
    this.records = new TokenBucket(deps.limits.recordsPerSecond, deps.limits.recordsPerSecond, this.lastActivity);
  }

  /** Cut off by the byte budget (it held the most when the total passed the cap). */
  evict(): void {
    this.reject(new ForwardRejection('buffer_full', `the forward input holds forward.limits.maxBufferedBytes of partial frames; this connection held the most`));
  }

  /** Starts reading; sends HELO first when a shared key is configured. */
  start(): void {
    this.socket.on('data', (data: Buffer) => this.onData(data));
    this.socket.on('error', (err) => this.deps.debug('forward connection error', { peer: this.peer, err: errorMessage(err) }));
    this.socket.on('close', () => this.close());
    if (this.deps.handshake) {
      this.helo = { nonce: this.deps.randomBytes(16), authSalt: this.deps.randomBytes(16) };
      this.write(heloMessage(this.deps.handshake, this.helo));
      this.handshakeTimer = this.deps.timers.setTimeout(() => {
        if (this.helo) this.reject(new ForwardRejection('handshake_timeout', `no PING within ${this.deps.limits.handshakeTimeoutMs} ms of HELO`));
      }, this.deps.limits.handshakeTimeoutMs);
    }
    this.firstFrameTimer = this.deps.timers.setTimeout(() => this.reject(new ForwardRejection('first_frame_timeout', `no frame within ${this.deps.limits.firstFrameTimeoutMs} ms of connecting`)), this.deps.limits.firstFrameTimeoutMs);
    this.deps.budget.join(this);
    this.armIdle(this.deps.limits.idleTimeoutMs);
  }

  /**
   * Stops reading and closes the socket. Frames already received are still stored (a sender may close
   * right after writing when it does not wait for acks). A graceful close lets replies already written
   * (a failed PONG) leave before the socket is destroyed.
   */
  close(graceful = false): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const t of [this.handshakeTimer, this.idleTimer, this.firstFrameTimer, this.frameTimer]) if (t) this.deps.timers.clearTimeout(t);
    this.deps.budget.leave(this);
    this.bytes.clear();
    this.scanner.reset();
    if (graceful) {
      this.socket.end();
      this.deps.timers.setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
    } else {
      this.socket.destroy();
    }
    void this.chain.then(() => this.resolveClosed());
  }

  private onData(data: Buffer): void {
    if (this.closedFlag) return;
    this.lastActivity = this.deps.clock.now();
    this.bytes.push(data);
    try {
      for (;;) {
        const end = this.scanner.scan(this.bytes.view());
        if (end < 0) break;
        this.frameComplete();
        this.enqueue(this.bytes.take(end));
      }
    } catch (err) {
      const e = err as FrameScanError;
      return this.reject(new ForwardRejection(e.reason ?? 'malformed', e.message));
    }
    const partial = this.bytes.view().length;
    if (partial > 0 && !this.frameTimer) {
      this.frameTimer = this.deps.timers.setTimeout(() => this.reject(new ForwardRejection('frame_timeout', `a frame was not complete ${this.deps.limits.frameTimeoutMs} ms after its first byte`)), this.deps.limits.frameTimeoutMs);
    }
    this.deps.budget.hold(this, partial);
  }

  private frameComplete(): void {
    if (this.firstFrameTimer) this.deps.timers.clearTimeout(this.firstFrameTimer);
    if (this.frameTimer) this.deps.timers.clearTimeout(this.frameTimer);
    this.firstFrameTimer = undefined;
    this.frameTimer = undefined;
  }

  private enqueue(frame: Buffer): void {
    if (++this.queued > MAX_QUEUED_FRAMES) this.socket.pause();
    this.chain = this.chain.then(async () => {
      try {
        await this.process(frame);
      } catch (err) {
        this.reject(err);
      } finally {
        if (--this.queued <= MAX_QUEUED_FRAMES && !this.closedFlag) this.socket.resume();
      }
    });
  }

  private async process(raw: Buffer): Promise<void> {
    const frame = await decodeFrame(raw, this.deps.limits);
    if (frame.kind === 'keepalive') return;
    if (frame.kind === 'ping') return this.answerPing(frame.fields);
    if (this.helo) throw new ForwardRejection('handshake_required', 'events sent before the shared_key handshake (configure the sender with the shared key)');
    await this.ingest(frame);
  }

  private async ingest(frame: Extract<ForwardFrame, { kind: 'events' }>): Promise<void> {
    this.checkTag(frame.tag);
    await this.throttle(frame.entries.length);
    const batch = ingestBatch('forward', frame.tag, frame.entries, frame.payload, frame.chunk, this.principal);
    try {
      await this.deps.pipeline.exec({ now: this.deps.clock.now() }, batch);
    } catch (err) {
      // Not acked: the sender keeps the chunk and resends it once the store recovers.
      throw new ForwardRejection('store_failed', `could not store ${frame.entries.length} record(s) from tag "${frame.tag}": ${errorMessage(err)}`);
    }
    // [Forward v1, "option"]: a chunk option must be answered with {"ack": chunk}, here only once durable.
    if (frame.chunk !== undefined) this.write({ ack: frame.chunk });
  }

  /** A node speaks only for itself: `edgewatch.<its name>.<task>`; a service never under `edgewatch.`. */
  private checkTag(tag: string): void {
    const p = this.principal;
    if (!p) return;
    if (p.kind === 'node' ? parseRecordTag(tag)?.node !== p.name : tag.startsWith('edgewatch.')) {
      throw new ForwardRejection('tag_not_allowed', `${p.kind} ${p.name} may not send tag "${tag}" (${p.kind === 'node' ? `only edgewatch.${p.name}.<task>` : 'no edgewatch.* tags'})`);
    }
  }

  /** Serves at most `recordsPerSecond` records: a faster sender waits for its acks, nothing is dropped. */
  private async throttle(records: number): Promise<void> {
    const n = Math.min(records, this.deps.limits.recordsPerSecond);
    for (;;) {
      const wait = this.records.waitMs(this.deps.clock.now(), n);
      if (wait === 0) return void this.records.take(this.deps.clock.now(), n);
      await new Promise<void>((r) => this.deps.timers.setTimeout(r, wait));
      if (this.closedFlag) return; // frames already received are still stored
    }
  }

  private answerPing(fields: unknown[]): void {
    if (!this.helo || !this.deps.handshake) throw new ForwardRejection('malformed', 'PING without a pending HELO');
    const result = checkPing(this.deps.handshake, this.helo, fields);
    if (!result.ok) {
      this.write(result.pong);
      throw new ForwardRejection('auth_failed', `handshake from "${result.clientHostname}" refused: ${result.reason}`);
    }
    this.helo = undefined;
    this.principal = result.principal;
    if (this.handshakeTimer) this.deps.timers.clearTimeout(this.handshakeTimer);
    this.write(result.pong);
    this.deps.debug('forward handshake ok', { peer: this.peer, client: result.clientHostname });
  }

  private reject(err: unknown): void {
    const rejection = err instanceof ForwardRejection ? err : new ForwardRejection('malformed', errorMessage(err));
    this.deps.rejected(rejection.reason, rejection.message, this.peer);
    this.close(true);
  }

  private write(message: unknown): void {
    // The sender may be gone already; its chunk is then resent and deduplicated.
    if (this.socket.destroyed || this.socket.writableEnded) return;
    // Packr reuses its output buffer; the socket may hold on to what it is given.
    this.socket.write(Buffer.from(packr.pack(message)));
  }

  private armIdle(delayMs: number): void {
    this.idleTimer = this.deps.timers.setTimeout(() => {
      const idle = this.deps.clock.now() - this.lastActivity;
      if (idle >= this.deps.limits.idleTimeoutMs && this.queued === 0) {
        this.deps.debug('forward connection idle, closing', { peer: this.peer, idleMs: idle });
        this.close();
      } else {
        this.armIdle(Math.max(1, this.deps.limits.idleTimeoutMs - idle));
      }
    }, delayMs);
  }
}
