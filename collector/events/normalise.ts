import { extractTraceContext, LOG_LEVELS, normalizeDuration, normalizeLevel, normalizeStatus, parseRecordTag, TRACE_CONTEXT_KEYS, type LogLevelName } from '../../protocol/log-record.js';
import { EventTime } from '../ingest/forward/event-time.js';
import type { Event } from './event.js';
import { splitEpochMs, splitForwardTime, type SplitTime } from './event-time-of.js';

/** Why one entry of an otherwise good frame was dropped (a bounded set: it becomes a metric label). */
export type EntryRejection = 'bad_entry' | 'bad_time';

type Fields = Record<string, unknown>;

const MSG_KEYS = ['msg', 'message', 'log', 'MESSAGE'] as const;
const LEVEL_KEYS = ['level', 'severity', 'severity_text', 'lvl', 'log.level'] as const;
const NODE_KEYS = ['node', 'host', 'hostname'] as const;
// Keys turned into Event fields for generic records, so they are not repeated under attrs.
const CONSUMED = new Set<string>([
  ...MSG_KEYS,
  ...LEVEL_KEYS,
  ...NODE_KEYS,
  'service',
  'service.name',
  ...TRACE_CONTEXT_KEYS,
  'status',
  'duration_ms',
  'time',
  'ts',
]);

// Exporters already send canonical values; checking for those first keeps the hot path cheap.
const CANONICAL_TRACE = /^[0-9a-f]{32}$/;
const CANONICAL_SPAN = /^[0-9a-f]{16}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const CANONICAL_LEVELS = new Set<unknown>(LOG_LEVELS);

/** True when the record's trace_id (and span_id, if any) are already canonical, so no parsing is needed. */
function canonicalTrace(r: Fields): boolean {
  const t = r.trace_id;
  const s = r.span_id;
  if (typeof t !== 'string' || !CANONICAL_TRACE.test(t) || t === ZERO_TRACE) return false;
  return s === undefined || (typeof s === 'string' && CANONICAL_SPAN.test(s) && s !== ZERO_SPAN);
}

function levelOf(value: unknown): LogLevelName {
  return CANONICAL_LEVELS.has(value) ? (value as LogLevelName) : normalizeLevel(value);
}

function isFields(v: unknown): v is Fields {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof EventTime);
}

function firstString(r: Fields, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return undefined;
}

function stringOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return '';
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** The service a non-edgewatch record belongs to: OpenTelemetry, Kubernetes and plain spellings, else the tag. */
export function serviceOf(r: Fields, tag: string): string {
  const direct = firstString(r, ['service', 'service.name', 'service_name', 'app']);
  if (direct) return direct;
  const svc = r.service;
  if (isFields(svc) && typeof svc.name === 'string' && svc.name) return svc.name;
  const k8s = r.kubernetes;
  if (isFields(k8s) && typeof k8s.container_name === 'string' && k8s.container_name) return k8s.container_name;
  return tag;
}

function nodeOf(r: Fields): string | undefined {
  const direct = firstString(r, NODE_KEYS);
  if (direct) return direct;
  const k8s = r.kubernetes;
  return isFields(k8s) && typeof k8s.host === 'string' && k8s.host ? k8s.host : undefined;
}

function restAsAttrs(r: Fields): Fields | undefined {
  let out: Fields | undefined;
  for (const k of Object.keys(r)) {
    if (CONSUMED.has(k)) continue;
    (out ??= {})[k] = r[k];
  }
  return out;
}

/** An event from an edgewatch exporter: the body is a protocol LogRecord and the tag names node and task. */
function fromLogRecord(tag: string, node: string, task: string, time: SplitTime, r: Fields): Event {
  const fast = canonicalTrace(r);
  const trace = fast ? undefined : extractTraceContext(r);
  return {
    timeMs: time.timeMs,
    subMsNanos: time.subMsNanos,
    tag,
    node,
    task,
    service: undefined,
    version: typeof r.version === 'string' ? r.version : undefined,
    stream: typeof r.stream === 'string' ? r.stream : undefined,
    level: levelOf(r.level),
    msg: stringOf(r.msg),
    trace_id: trace ? trace.trace_id : (r.trace_id as string),
    span_id: trace ? trace.span_id : (r.span_id as string | undefined),
    status: normalizeStatus(r.status),
    duration_ms: normalizeDuration(r.duration_ms),
    attrs: isFields(r.attrs) ? r.attrs : undefined,
    sid: typeof r.sid === 'string' ? r.sid : undefined,
    seq: typeof r.seq === 'number' && Number.isInteger(r.seq) ? r.seq : undefined,
  };
}

/** An event from any other forward client (Fluent Bit, fluent-logger in a cloud service). */
function fromServiceRecord(tag: string, time: SplitTime, r: Fields): Event {
  const trace = extractTraceContext(r);
  let msg: unknown;
  for (const k of MSG_KEYS) if (r[k] !== undefined) { msg = r[k]; break; }
  let level: unknown;
  for (const k of LEVEL_KEYS) if (r[k] !== undefined) { level = r[k]; break; }
  return {
    timeMs: time.timeMs,
    subMsNanos: time.subMsNanos,
    tag,
    node: nodeOf(r),
    task: undefined,
    service: serviceOf(r, tag),
    version: undefined,
    stream: typeof r.stream === 'string' ? r.stream : undefined,
    level: normalizeLevel(level),
    msg: stringOf(msg),
    trace_id: trace.trace_id,
    span_id: trace.span_id,
    status: normalizeStatus(r.status),
    duration_ms: normalizeDuration(r.duration_ms),
    attrs: restAsAttrs(r),
  };
}

/**
 * Turns the `[time, record]` entries of one forward frame into events, appending to `out`; an entry that
 * is not `[time, map]` is dropped and reported through `reject` rather than failing the whole frame.
 */
export function normaliseEntries(tag: string, entries: readonly unknown[], out: Event[], reject: (reason: EntryRejection) => void): void {
  const edge = parseRecordTag(tag);
  const time: SplitTime = { timeMs: 0, subMsNanos: 0 };
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length < 2 || !isFields(entry[1])) {
      reject('bad_entry');
      continue;
    }
    // Fluent Bit 2.x+ may send [[time, metadata], record].
    const rawTime: unknown = Array.isArray(entry[0]) ? entry[0][0] : entry[0];
    const record = entry[1];
    if (!splitForwardTime(rawTime, time)) {
      reject('bad_time');
      continue;
    }
    if (edge) {
      // An exporter's `ts` carries sub-second precision when the sender used integer-second times.
      if (!(rawTime instanceof EventTime) && typeof record.ts === 'number' && Number.isFinite(record.ts)) splitEpochMs(record.ts, time);
      out.push(fromLogRecord(tag, edge.node, edge.task, time, record));
    } else {
      out.push(fromServiceRecord(tag, time, record));
    }
  }
}
