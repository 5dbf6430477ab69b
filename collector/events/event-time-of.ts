import { EventTime } from '../ingest/forward/event-time.js';

/** Event time as integer epoch ms plus nanoseconds past it, or undefined when the value is no time at all. */
export interface SplitTime {
  timeMs: number;
  subMsNanos: number;
}

// Seconds between 1970 and 2262: anything outside is not a plausible log time (and would overflow ns).
const MAX_SECONDS = 9_200_000_000;

/**
 * Reads a forward-protocol entry time: EventTime (ext 0), integer seconds, or float seconds (some
 * clients); Fluent Bit's `[[time, metadata], record]` form is unwrapped by the caller.
 */
export function splitForwardTime(value: unknown): SplitTime | undefined {
  if (value instanceof EventTime) {
    if (value.nsec > 999_999_999) return undefined;
    const subMs = value.nsec % 1_000_000;
    return { timeMs: value.sec * 1000 + (value.nsec - subMs) / 1_000_000, subMsNanos: subMs };
  }
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value < MAX_SECONDS) {
    if (Number.isInteger(value)) return { timeMs: value * 1000, subMsNanos: 0 };
    return splitEpochMs(value * 1000);
  }
  return undefined;
}

/** Splits fractional epoch milliseconds (a LogRecord's `ts`) into ms and the remaining nanoseconds. */
export function splitEpochMs(ms: number): SplitTime {
  const timeMs = Math.floor(ms);
  const subMsNanos = Math.min(999_999, Math.round((ms - timeMs) * 1_000_000));
  return { timeMs, subMsNanos };
}
