import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds in a Prometheus-style duration ("30s", "5m", "1h30m", "500ms"); undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  if (!DURATION.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(PART)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.round(ms);
}

/** A duration key of the rule file, parsed to milliseconds. */
export const duration = z
  .union([z.string(), z.number()], {
    error: (iss) => (iss.input === undefined ? 'is required (a duration like "30s", "5m" or "1h")' : 'must be a duration like "30s", "5m" or "1h"'),
  })
  .transform((value, ctx) => {
  const ms = typeof value === 'string' ? parseDuration(value) : value === 0 ? 0 : undefined;
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be a duration like "30s", "5m" or "1h", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return ms;
});
