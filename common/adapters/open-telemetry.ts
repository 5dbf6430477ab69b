import type { Logger } from '../logger.js';
import type { Span, SpanOptions, Tracer } from '../tracing.js';

/**
 * Whether the standard OpenTelemetry environment asks for trace export: OTEL_TRACES_EXPORTER (other than
 * "none") or an OTLP endpoint, and not OTEL_SDK_DISABLED=true. Off by default.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  const exporter = env.OTEL_TRACES_EXPORTER;
  if (exporter !== undefined) return exporter !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts @opentelemetry/sdk-node (configured entirely by OTEL_* variables: exporter, endpoint, protocol,
 * sampler, resource attributes) and returns a {@link Tracer} over it. Loaded only when enabled, so an edge
 * device without tracing never pays for the SDK's memory.
 */
export async function startOpenTelemetry(serviceName: string, logger: Logger): Promise<{ tracer: Tracer; shutdown(): Promise<void> }> {
  const [{ NodeSDK }, api] = await Promise.all([import('@opentelemetry/sdk-node'), import('@opentelemetry/api')]);
  process.env.OTEL_SERVICE_NAME ??= serviceName;
  const sdk = new NodeSDK({ serviceName: process.env.OTEL_SERVICE_NAME, instrumentations: [] });
  sdk.start();
  const otel = api.trace.getTracer('edgewatch');
  const contextOf = (traceparent: string | undefined) => {
    const m = traceparent && /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceparent);
    if (!m) return undefined;
    return { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true };
  };
  logger.info('OpenTelemetry tracing on', { service: process.env.OTEL_SERVICE_NAME, exporter: process.env.OTEL_TRACES_EXPORTER ?? 'otlp' });
  const tracer: Tracer = {
    enabled: true,
    startSpan(name: string, options: SpanOptions = {}): Span {
      const parent = contextOf(options.parent);
      const ctx = parent ? api.trace.setSpanContext(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT;
      const links = (options.links ?? []).map(contextOf).filter((c) => c !== undefined).map((context) => ({ context }));
      const span = otel.startSpan(name, { ...(options.startTimeMs !== undefined ? { startTime: options.startTimeMs } : {}), links, ...(options.attributes ? { attributes: options.attributes } : {}) }, ctx);
      const sc = span.spanContext();
      return {
        traceparent: `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`,
        setAttribute: (k, v) => void span.setAttribute(k, v),
        end(error) {
          if (error) span.setStatus({ code: api.SpanStatusCode.ERROR, message: error });
          span.end();
        },
      };
    },
  };
  return {
    tracer,
    async shutdown() {
      await sdk.shutdown().catch((err: unknown) => logger.warn('OpenTelemetry shutdown failed', { err }));
    },
  };
}
