import type { LogLevelName } from '../../protocol/log-record.js';
import type { Event } from '../events/event.js';

/** What the store keeps of one batch: the raw entries under their tag, and the events normalised from them. */
export interface StoredBatch {
  readonly tag: string;
  /** Concatenated msgpack `[time, record]` entries as received. */
  readonly payload: Uint8Array;
  readonly events: readonly Event[];
}

/** A /api/logs query: every filter optional; times are epoch ms, inclusive. */
export interface LogQuery {
  node?: string;
  /** Matches an event's task, or its service for records from non-edgewatch senders. */
  task?: string;
  sinceMs?: number;
  untilMs?: number;
  levels?: readonly LogLevelName[];
  limit: number;
}

/** What one retention pass removed, by reason. */
export interface RetentionResult {
  age: number;
  size: number;
}

/** Totals the store keeps in memory, cheap enough for a metrics scrape. */
export interface StoreStats {
  records: number;
  bytes: number;
}

/**
 * The correlation store as the pipeline and API see it: durable appends deduplicated by chunk id, and
 * queries by trace id and by node/task/time. Nothing outside collector/store knows it is SQLite.
 */
/** One append of a group commit. */
export interface AppendRequest {
  batch: StoredBatch;
  chunkId: string | undefined;
  nowMs: number;
}

export interface EventStore {
  /** Writes `events` durably before returning; a chunk id seen before writes nothing and reports a duplicate. */
  append(batch: StoredBatch, chunkId: string | undefined, nowMs: number): { duplicate: boolean };
  /** Several appends in one durable transaction (group commit); one result per request, in order. */
  appendMany(requests: readonly AppendRequest[]): Array<{ duplicate: boolean }>;
  /** The same without blocking the caller while the database writes (PostgreSQL); group commit uses it when present. */
  appendManyAsync?(requests: readonly AppendRequest[]): Promise<Array<{ duplicate: boolean }>>;
  /** Whether record `seq` of exporter spool `sid` was stored before (resends are dropped by the dedup stage). */
  delivered(sid: string, seq: number): boolean;
  /** Every stored event of a trace (32 lowercase hex), in time order, at most `limit`. */
  trace(traceId: string, limit: number): Event[];
  /** The newest `limit` events matching `query`, returned in time order. */
  logs(query: LogQuery): Event[];
  /** Deletes data older than the age limit, then the oldest data while over the size limit. */
  retain(nowMs: number): RetentionResult;
  stats(): StoreStats;
  close(): void;
}
