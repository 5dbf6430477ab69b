import {
  extractTraceContext,
  normalizeDuration,
  normalizeLevel,
  normalizeStatus,
  TRACE_CONTEXT_KEYS,
  type LogFields,
  type LogLevelName,
} from '../../protocol/log-record.js';

/** The fields a task line yields, before node/task/version/stream are attached. */
export interface ParsedLine extends LogFields {
  /** false when the line did not match the declared format (it is kept as plain text). */
  ok: boolean;
  ts?: number;
}

/** Which source key feeds each record field (`logs.fields` in a task spec); unset keys use the defaults. */
export interface FieldMap {
  time?: string;
  level?: string;
  msg?: string;
  trace_id?: string;
  span_id?: string;
  status?: string;
  duration_ms?: string;
}

export type LogFormat = 'json' | 'logfmt' | 'text';

const MSG_KEYS = ['msg', 'message', 'MESSAGE', 'log'];
const LEVEL_KEYS = ['level', 'severity', 'lvl', 'LEVEL'];
const TIME_KEYS = ['time', 'ts', 'timestamp', '@timestamp'];
const STATUS_KEYS = ['status', 'status_code', 'statusCode', 'code'];
const DURATION_KEYS = ['duration_ms', 'durationMs', 'latency_ms', 'elapsed_ms'];
const KNOWN = new Set([
  ...MSG_KEYS,
  ...LEVEL_KEYS,
  ...TIME_KEYS,
  ...STATUS_KEYS,
  ...DURATION_KEYS,
  ...TRACE_CONTEXT_KEYS,
]);
const MAX_ATTRS = 32;

function pick(obj: Record<string, unknown>, custom: string | undefined, keys: string[]): unknown {
  if (custom !== undefined) return obj[custom];
  for (const k of keys) {
    const v = obj[k];
    if (v !== undefined) return v;
  }
  return undefined;
}

function parseTime(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v; // seconds or ms
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** Builds a ParsedLine from a key/value object (a JSON or logfmt line). */
export function fromFields(obj: Record<string, unknown>, fields: FieldMap, fallbackLevel: LogLevelName): ParsedLine {
  const msg = pick(obj, fields.msg, MSG_KEYS);
  const out: ParsedLine = {
    ok: true,
    level: normalizeLevel(pick(obj, fields.level, LEVEL_KEYS), fallbackLevel),
    msg: typeof msg === 'string' ? msg : msg === undefined ? '' : JSON.stringify(msg),
  };
  const ts = parseTime(pick(obj, fields.time, TIME_KEYS));
  if (ts !== undefined) out.ts = ts;
  const trace = extractTraceContext(
    fields.trace_id || fields.span_id
      ? { ...obj, trace_id: obj[fields.trace_id ?? 'trace_id'], span_id: obj[fields.span_id ?? 'span_id'] }
      : obj,
  );
  if (trace.trace_id) out.trace_id = trace.trace_id;
  if (trace.span_id) out.span_id = trace.span_id;
  const status = normalizeStatus(pick(obj, fields.status, STATUS_KEYS));
  if (status !== undefined) out.status = status;
  const duration = normalizeDuration(pick(obj, fields.duration_ms, DURATION_KEYS));
  if (duration !== undefined) out.duration_ms = duration;
  let attrs: Record<string, unknown> | undefined;
  let n = 0;
  const mapped = new Set(Object.values(fields));
  for (const key in obj) {
    if (KNOWN.has(key) || mapped.has(key)) continue;
    if (n++ >= MAX_ATTRS) break;
    (attrs ??= {})[key] = obj[key];
  }
  if (attrs) out.attrs = attrs;
  return out;
}

/** Parses one logfmt line (`key=value key2="quoted value"`); undefined when it has no key=value pair. */
export function parseLogfmt(line: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let found = false;
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line[i] === ' ') i++;
    const keyStart = i;
    while (i < n && line[i] !== '=' && line[i] !== ' ') i++;
    const key = line.slice(keyStart, i);
    if (i >= n || line[i] !== '=') {
      if (key) out[key] = 'true';
      continue;
    }
    i++; // '='
    let value = '';
    if (line[i] === '"') {
      i++;
      while (i < n && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < n) i++;
        value += line[i];
        i++;
      }
      i++; // closing quote
    } else {
      const start = i;
      while (i < n && line[i] !== ' ') i++;
      value = line.slice(start, i);
    }
    if (key) {
      out[key] = value;
      found = true;
    }
  }
  return found ? out : undefined;
}

/**
 * Parses one task output line. A line that does not match the format is not an error for the task:
 * it becomes a text record with `ok: false`, and the caller counts it.
 */
export function parseLine(line: string, format: LogFormat, fields: FieldMap, fallbackLevel: LogLevelName): ParsedLine {
  if (format === 'json') {
    if (line.charCodeAt(0) === 123 /* { */) {
      try {
        const obj: unknown = JSON.parse(line);
        if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
          return fromFields(obj as Record<string, unknown>, fields, fallbackLevel);
        }
      } catch {
        // falls through to text
      }
    }
    return { ok: false, level: fallbackLevel, msg: line };
  }
  if (format === 'logfmt') {
    const obj = parseLogfmt(line);
    if (obj) return fromFields(obj, fields, fallbackLevel);
    return { ok: false, level: fallbackLevel, msg: line };
  }
  const out: ParsedLine = { ok: true, level: fallbackLevel, msg: line };
  return out;
}
