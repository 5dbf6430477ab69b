import { eventUnixNanos, formatEventTime, type Event } from '../events/event.js';

/** How a stored event is shown by the API: the fixed fields first, then whatever was parsed. */
export interface RecordView {
  time: string;
  timeUnixNano: string;
  node: string | null;
  task: string | null;
  service?: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

/** Renders an event for JSON; absent fields are left out, except node and task which are null. */
export function recordView(e: Event): RecordView {
  const view: RecordView = {
    time: formatEventTime(e.timeMs, e.subMsNanos),
    timeUnixNano: eventUnixNanos(e),
    node: e.node ?? null,
    task: e.task ?? null,
    level: e.level,
    msg: e.msg,
  };
  if (e.service !== undefined) view.service = e.service;
  if (e.trace_id !== undefined) view.trace_id = e.trace_id;
  if (e.span_id !== undefined) view.span_id = e.span_id;
  if (e.status !== undefined) view.status = e.status;
  if (e.duration_ms !== undefined) view.duration_ms = e.duration_ms;
  if (e.version !== undefined) view.version = e.version;
  if (e.stream !== undefined) view.stream = e.stream;
  if (e.attrs !== undefined) view.attrs = e.attrs;
  view.tag = e.tag;
  return view;
}

/** JSON.stringify replacer for values msgpack can carry but JSON cannot (bytes, BigInt). */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}
