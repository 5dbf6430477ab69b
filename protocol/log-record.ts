import { normalizeSpanId, normalizeTraceId, parseTraceparent } from './trace-id.js';

/** Severity levels every record is normalised to (OpenTelemetry's severity text, lowercased). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * The fields of a parsed log line (DESIGN.md, "Log records"), declared once: the exporter's parsed line,
 * the shipped record, the collector's event and the rule engine's log signal all extend it.
 */
export interface LogFields {
  level: LogLevelName;
  msg: string;
  trace_id?: string;
  span_id?: string;
  /** HTTP status code. */
  status?: number;
  duration_ms?: number;
  attrs?: Record<string, unknown>;
}

/**
 * One log record as the exporter ships it (forward-protocol record body) and the collector stores it.
 * `ts` is epoch milliseconds with sub-ms precision carried separately by the forward EventTime.
 */
export interface LogRecord extends LogFields {
  ts: number;
  node: string;
  task: string;
  version?: string;
  stream: 'stdout' | 'stderr' | 'agent';
  /**
   * Delivery identity from the exporter's disk spool: `sid` names the spool, `seq` numbers its records.
   * Resends after a lost ack carry the same pair, so the collector stores each record once.
   */
  sid?: string;
  seq?: number;
}

const LEVEL_ALIASES: Record<string, LogLevelName> = {
  trace: 'trace',
  debug: 'debug',
  dbg: 'debug',
  info: 'info',
  information: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  err: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  crit: 'fatal',
  panic: 'fatal',
  emerg: 'fatal',
  alert: 'fatal',
};
// pino / bunyan numeric levels
const NUMERIC_LEVELS: Array<[number, LogLevelName]> = [
  [60, 'fatal'],
  [50, 'error'],
  [40, 'warn'],
  [30, 'info'],
  [20, 'debug'],
  [10, 'trace'],
];

/** Maps free-form level values ("WARNING", "err", 50) to a {@link LogLevelName}; unknown values give `fallback`. */
export function normalizeLevel(value: unknown, fallback: LogLevelName = 'info'): LogLevelName {
  if (typeof value === 'string') return LEVEL_ALIASES[value.toLowerCase()] ?? fallback;
  if (typeof value === 'number') {
    for (const [n, level] of NUMERIC_LEVELS) if (value >= n) return level;
  }
  return fallback;
}

/** An HTTP status code 100-599 from a number or numeric string, else undefined. */
export function normalizeStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 599) return undefined;
  return n;
}

/** A finite, non-negative duration in ms from a number or numeric string, else undefined. */
export function normalizeDuration(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return undefined;
  return n;
}

/** Bounded class of an HTTP status for metric labels: 1xx..5xx. */
export function codeClass(status: number): '1xx' | '2xx' | '3xx' | '4xx' | '5xx' {
  return `${Math.floor(status / 100)}xx` as '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
}

/** Every field spelling {@link extractTraceContext} reads (so parsers do not copy them into attrs). */
export const TRACE_CONTEXT_KEYS = ['trace_id', 'traceId', 'traceID', 'traceparent', 'span_id', 'spanId', 'spanID'] as const;

/** Trace and span ids from the usual field spellings: trace_id, traceId, traceparent (W3C). */
export function extractTraceContext(fields: Record<string, unknown>): { trace_id?: string; span_id?: string } {
  const tp = parseTraceparent(fields.traceparent);
  const trace_id =
    normalizeTraceId(fields.trace_id) ?? normalizeTraceId(fields.traceId) ?? normalizeTraceId(fields.traceID) ?? tp?.traceId;
  const span_id =
    normalizeSpanId(fields.span_id) ?? normalizeSpanId(fields.spanId) ?? normalizeSpanId(fields.spanID) ?? tp?.spanId;
  const out: { trace_id?: string; span_id?: string } = {};
  if (trace_id) out.trace_id = trace_id;
  if (span_id) out.span_id = span_id;
  return out;
}

/** The forward-protocol tag for a task's records: `edgewatch.<node>.<task>`. */
export function recordTag(node: string, task: string): string {
  return `edgewatch.${node}.${task}`;
}

/** Splits an `edgewatch.<node>.<task>` tag; undefined for any other tag. */
export function parseRecordTag(tag: string): { node: string; task: string } | undefined {
  if (!tag.startsWith('edgewatch.')) return undefined;
  const rest = tag.slice('edgewatch.'.length);
  const dot = rest.indexOf('.');
  if (dot <= 0 || dot === rest.length - 1) return undefined;
  return { node: rest.slice(0, dot), task: rest.slice(dot + 1) };
}

/** Names are DNS-label-like so they are safe in tags, topics, metric labels and file names. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$/;
