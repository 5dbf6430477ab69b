import { formatTraceparent, parseTraceparent } from '../protocol/trace-id.js';

/** A started span; `traceparent` names it for children in other processes (commands carry it). */
export interface Span {
  readonly traceparent: string;
  setAttribute(key: string, value: string | number | boolean): void;
  /** Ends the span, marked as an error when `error` is given. */
  end(error?: string): void;
}

/** Options of a span: its parent (a W3C traceparent), start time (epoch ms), links and attributes. */
export interface SpanOptions {
  parent?: string;
  startTimeMs?: number;
  links?: string[];
  attributes?: Record<string, string | number | boolean>;
}

/** What edgewatch traces with; OpenTelemetry behind it when enabled, ids only when not. */
export interface Tracer {
  readonly enabled: boolean;
  startSpan(name: string, options?: SpanOptions): Span;
}

/**
 * The tracer when OpenTelemetry is off: no spans are recorded, but trace context still flows (a child gets
 * the parent's trace id and a new span id), so logs and commands stay correlated.
 */
export function idOnlyTracer(randomHex: (bytes: number) => string): Tracer {
  return {
    enabled: false,
    startSpan(_name, options = {}) {
      const parent = parseTraceparent(options.parent);
      const traceparent = formatTraceparent({ traceId: parent?.traceId ?? randomHex(16), spanId: randomHex(8), sampled: true });
      return { traceparent, setAttribute() {}, end() {} };
    },
  };
}
