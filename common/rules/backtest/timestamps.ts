const EPOCH = /^-?\d+(?:\.\d+)?$/;
/** Epoch numbers below this are seconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const SECONDS_BELOW = 1e11;
const HOUR = 3_600_000;

/** Maps a zone-less local time (as if it were UTC, epoch ms) to the real instant; identity for UTC. */
export type ZoneResolver = (localMs: number) => number;

/** Zone-less timestamps read as UTC. */
export const UTC: ZoneResolver = (ms) => ms;

/**
 * A resolver for an IANA zone ("Europe/Berlin"): the zone's offset at that local time, looked up once per
 * local hour. A local time that happens twice (the hour clocks go back) reads as the first; one that never
 * happens (the hour clocks skip) as the instant an hour later. Throws RangeError for an unknown zone.
 */
export function zoneResolver(zone: string): ZoneResolver {
  if (zone === 'UTC' || zone === 'Etc/UTC') return UTC;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const offsetAt = (utc: number): number => {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(utc)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(utc / 1000) * 1000;
  };
  const cache = new Map<number, number>();
  return (local) => {
    const hour = Math.floor(local / HOUR);
    let offset = cache.get(hour);
    if (offset === undefined) {
      const guess = offsetAt(hour * HOUR);
      offset = offsetAt(hour * HOUR - guess);
      if (cache.size > 100_000) cache.clear();
      cache.set(hour, offset);
    }
    return local - offset;
  };
}

function digits(s: string, from: number, n: number): number {
  let v = 0;
  for (let i = from; i < from + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Epoch ms of `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|±HH:MM|±HHMM]` (a missing zone goes through `zone`), or of
 * epoch seconds or milliseconds; undefined when it is none of these. Parsed by hand: it runs per row.
 */
export function parseTimestamp(text: string, zone: ZoneResolver = UTC): number | undefined {
  const c0 = text.charCodeAt(0);
  if ((c0 === 45 || (c0 >= 48 && c0 <= 57)) && text.charCodeAt(4) !== 45 && EPOCH.test(text)) {
    const n = Number(text);
    return Math.abs(n) < SECONDS_BELOW ? Math.round(n * 1000) : Math.round(n);
  }
  if (text.length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const sep = text.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return undefined;
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  const h = digits(text, 11, 2);
  const mi = digits(text, 14, 2);
  const s = digits(text, 17, 2);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60)) return undefined;
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    const start = ++i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === start) return undefined;
    ms = Math.round(Number(`0.${text.slice(start, i)}`) * 1000);
  }
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(local).getUTCDate() !== d) return undefined; // 2026-02-30
  if (i === text.length) return zone(local);
  const z = text.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === text.length) return local;
  if (z !== 43 && z !== 45) return undefined;
  const rest = text.length - i - 1;
  const oh = digits(text, i + 1, 2);
  const om = rest === 5 && text.charCodeAt(i + 3) === 58 ? digits(text, i + 4, 2) : rest === 4 ? digits(text, i + 3, 2) : Number.NaN;
  if (!(oh <= 23 && om <= 59)) return undefined;
  return local - (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
}
