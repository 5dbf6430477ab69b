import type { Clock } from '../../common/clock.js';
import type { LogRecord } from '../../protocol/log-record.js';
import type { TaskSpec } from '../config.js';
import type { TaskMetrics } from '../metrics/task-metrics.js';
import type { LineHandler } from '../supervisor/execution.js';
import { parseLine, type ParsedLine } from './parser.js';

/** Where parsed records go next (the spool, when a forward address is configured). */
export interface RecordSink {
  write(record: LogRecord): void;
}

/** Sees every parsed line (the edge rules); `at` is the line's time, epoch ms. */
export interface LineTap {
  line(task: string, at: number, p: ParsedLine): void;
}

/**
 * Where a task's output line enters: parsed with the task's log format, counted into its metrics
 * (lines, parse errors, requests by code class, request durations), shown to the edge rules (the tap)
 * and handed to the record sink.
 */
export class LogPipeline {
  constructor(
    private readonly node: string,
    private readonly metrics: TaskMetrics,
    private readonly clock: Clock,
    private readonly sink: RecordSink | undefined,
    private readonly tap?: LineTap,
  ) {}

  handlerFor(spec: TaskSpec): LineHandler {
    const series = this.metrics.series(spec.name);
    const { format, fields } = spec.logs;
    const { node, clock, sink, tap } = this;
    const task = spec.name;
    const version = spec.version;
    return {
      line(stream, text) {
        if (stream === 'stdout') series.lineStdout();
        else series.lineStderr();
        const p = parseLine(text, format, fields, 'info');
        if (!p.ok) series.parseError();
        if (p.status !== undefined || p.duration_ms !== undefined) series.request(p.status, p.duration_ms);
        if (!sink && !tap) return;
        const ts = p.ts ?? clock.now();
        tap?.line(task, ts, p);
        if (!sink) return;
        const record: LogRecord = { ts, node, task, version, stream, level: p.level, msg: p.msg };
        if (p.trace_id) record.trace_id = p.trace_id;
        if (p.span_id) record.span_id = p.span_id;
        if (p.status !== undefined) record.status = p.status;
        if (p.duration_ms !== undefined) record.duration_ms = p.duration_ms;
        if (p.attrs) record.attrs = p.attrs;
        sink.write(record);
      },
      truncated() {
        series.parseError();
      },
    };
  }
}
