/**
 * W3C Trace Context helpers (https://www.w3.org/TR/trace-context/): trace ids are 32 lowercase hex
 * characters, span ids 16, and neither may be all zeros.
 */
const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);
// version-traceid-parentid-flags, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** Normalises a trace id (any case, optional dashes as in UUIDs, 16-hex Jaeger/Zipkin ids left-padded) or returns undefined. */
export function normalizeTraceId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let v = value.trim().toLowerCase();
  if (v.length === 36 && v[8] === '-') v = v.replaceAll('-', '');
  if (v.length === 16 && HEX16.test(v)) v = ZERO16 + v;
  if (!HEX32.test(v) || v === ZERO32) return undefined;
  return v;
}

/** Normalises a span id to 16 lowercase hex, or returns undefined. */
export function normalizeSpanId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (!HEX16.test(v) || v === ZERO16) return undefined;
  return v;
}

/** Parsed `traceparent` header. */
export interface TraceParent {
  traceId: string;
  spanId: string;
  sampled: boolean;
}

/** Parses a W3C `traceparent` value; version ff and all-zero ids are invalid per the spec. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== 'string') return undefined;
  const m = TRACEPARENT.exec(value.trim().toLowerCase());
  if (!m || m[1] === 'ff' || m[2] === ZERO32 || m[3] === ZERO16) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, sampled: (parseInt(m[4]!, 16) & 1) === 1 };
}

/** Formats a version-00 `traceparent`. */
export function formatTraceparent(tp: TraceParent): string {
  return `00-${tp.traceId}-${tp.spanId}-${tp.sampled ? '01' : '00'}`;
}

/** Random ids from an injected byte source (node:crypto's randomBytes in production). */
export function newTraceparent(randomHex: (bytes: number) => string): TraceParent {
  return { traceId: randomHex(16), spanId: randomHex(8), sampled: true };
}
