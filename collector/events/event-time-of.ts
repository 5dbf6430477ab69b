import { EventTime } from '../ingest/forward/event-time.js';

/** Event time as integer epoch ms plus the nanoseconds past it. */
export interface SplitTime {
  timeMs: number;
  subMsNanos: number;
}

// Seconds between 1970 and 2262: anything outside is not a plausible log time (and would overflow ns).
const MAX_SECONDS = 9_200_000_000;

/**
 * Reads a forward-protocol entry time into `into`: EventTime (ext 0), integer seconds, or float seconds
 * (some clients); false when the value is no time. Writing into a caller's object spares an allocation
 * per record on the ingest path. Fluent Bit's `[[time, metadata], record]` form is unwrapped by the caller.
 */
export function splitForwardTime(value: unknown, into: SplitTime): boolean {
  if (value instanceof EventTime) {
    if (value.nsec > 999_999_999) return false;
    const subMs = value.nsec % 1_000_000;
    into.timeMs = value.sec * 1000 + (value.nsec - subMs) / 1_000_000;
    into.subMsNanos = subMs;
    return true;
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < MAX_SECONDS) {
    if (Number.isInteger(value)) {
      into.timeMs = value * 1000;
      into.subMsNanos = 0;
    } else {
      splitEpochMs(value * 1000, into);
    }
    return true;
  }
  return false;
}

/** Splits fractional epoch milliseconds (a LogRecord's `ts`) into ms and the remaining nanoseconds. */
export function splitEpochMs(ms: number, into: SplitTime): void {
  into.timeMs = Math.floor(ms);
  into.subMsNanos = Math.min(999_999, Math.round((ms - into.timeMs) * 1_000_000));
}
