import type { LogFields } from '../../protocol/log-record.js';

/**
 * One normalised log event, whatever sent it: an edgewatch exporter (`node` and `task` set) or any other
 * forward-protocol client such as Fluent Bit or a cloud service's fluent-logger (`service` set).
 * Time keeps nanosecond precision as integer epoch milliseconds plus the nanoseconds past that millisecond,
 * which stays exact in doubles and avoids a BigInt per event on the hot path.
 */
export interface Event extends LogFields {
  /** Integer epoch milliseconds. */
  timeMs: number;
  /** Nanoseconds past `timeMs`, 0..999_999. */
  subMsNanos: number;
  /** The forward tag the event arrived with. */
  tag: string;
  node?: string;
  task?: string;
  service?: string;
  version?: string;
  stream?: string;
  /** Exporter spool id and record sequence (delivery identity for deduplicating resends). */
  sid?: string;
  seq?: number;
}

/** Orders events by time, nanoseconds included. */
export function compareEventTime(a: Event, b: Event): number {
  return a.timeMs - b.timeMs || a.subMsNanos - b.subMsNanos;
}

/** RFC 3339 with all nine fractional digits, e.g. "2026-01-01T00:00:00.123456789Z". */
export function formatEventTime(timeMs: number, subMsNanos: number): string {
  const iso = new Date(timeMs).toISOString();
  return `${iso.slice(0, 23)}${String(subMsNanos).padStart(6, '0')}Z`;
}

/** Epoch nanoseconds as a decimal string (exact; JSON numbers cannot carry it). */
export function eventUnixNanos(e: Pick<Event, 'timeMs' | 'subMsNanos'>): string {
  return (BigInt(e.timeMs) * 1_000_000n + BigInt(e.subMsNanos)).toString();
}
