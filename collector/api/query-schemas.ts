import { z } from 'zod';
import { LOG_LEVELS, type LogLevelName } from '../../protocol/log-record.js';
import { normalizeTraceId } from '../../protocol/trace-id.js';

const RELATIVE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The latest instant a query may name: 9999-12-31T23:59:59.999Z. */
const MAX_INSTANT_MS = 253_402_300_799_999;
const RFC3339 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * A point in time from a query string: epoch ms, RFC 3339, or a duration ago ("15m", "2h"); undefined
 * when unreadable or outside 1970..9999 (a negative or far-out time is a mistake, not a query).
 */
export function parseInstant(value: string, nowMs: number): number | undefined {
  let ms: number;
  const rel = RELATIVE.exec(value);
  if (/^\d{1,16}$/.test(value)) ms = Number(value);
  else if (rel) ms = nowMs - Number(rel[1]) * UNIT_MS[rel[2]!]!;
  else if (RFC3339.test(value)) ms = Date.parse(value);
  else return undefined;
  return Number.isFinite(ms) && ms >= 0 && ms <= MAX_INSTANT_MS ? ms : undefined;
}

/** A query parameter naming an instant (see {@link parseInstant}). */
export const instant = (nowMs: number) =>
  z
    .string()
    .transform((v, ctx) => {
      const ms = parseInstant(v, nowMs);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be epoch milliseconds, an RFC 3339 time (1970 to 9999) or a duration ago like "15m", got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return ms;
    })
    .optional();

const levels = z
  .string()
  .transform((v, ctx) => {
    const list = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const bad = list.filter((l) => !(LOG_LEVELS as readonly string[]).includes(l));
    if (bad.length > 0 || list.length === 0) {
      ctx.addIssue({ code: 'custom', message: `must be one or more of ${LOG_LEVELS.join(', ')} (comma-separated), got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return list as LogLevelName[];
  })
  .optional();

/** Largest `limit` a /api/logs call may ask for. */
export const MAX_LOG_LIMIT = 5000;

/** Query parameters of GET /api/logs, validated against the instant the request arrived. */
export function logsQuerySchema(nowMs: number) {
  return z
    .strictObject({
      node: z.string().min(1).optional(),
      task: z.string().min(1).optional(),
      since: instant(nowMs),
      until: instant(nowMs),
      level: levels,
      limit: z
        .string()
        .regex(/^\d+$/, 'must be a whole number')
        .transform(Number)
        .pipe(z.number().min(1).max(MAX_LOG_LIMIT))
        .default(100),
    })
    .refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, { message: 'must not be after until', path: ['since'] });
}

/** A trace id path parameter, normalised to 32 lowercase hex; undefined when it is not one. */
export function traceIdParam(value: string): string | undefined {
  return normalizeTraceId(value);
}
