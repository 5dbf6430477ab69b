import type { LogFields } from '../../protocol/log-record.js';
import type { LogSignal } from './signals.js';

/**
 * Fills a reused log signal from one parsed line or stored event (the collector's detection and the
 * exporter's edge rules both do it for every line: one object per batch, not one per line).
 */
export function fillLogSignal(s: LogSignal, at: number, where: { node?: string | undefined; task?: string | undefined; service?: string | undefined }, f: LogFields): LogSignal {
  s.at = at;
  s.node = where.node;
  s.task = where.task;
  s.service = where.service;
  s.level = f.level;
  s.msg = f.msg;
  s.status = f.status;
  s.duration_ms = f.duration_ms;
  s.trace_id = f.trace_id;
  s.attrs = f.attrs;
  return s;
}
