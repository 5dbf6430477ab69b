import { startOpenTelemetry, tracingRequested } from '../common/adapters/open-telemetry.js';
import type { Logger } from '../common/logger.js';
import type { Tracer } from '../common/tracing.js';

/** OpenTelemetry for a CLI process when the OTEL_* environment asks for it; nothing is loaded otherwise. */
export async function tracingFromEnv(service: string, logger: Logger): Promise<{ tracer?: Tracer; shutdown(): Promise<void> }> {
  if (!tracingRequested(process.env)) return { shutdown: async () => undefined };
  return startOpenTelemetry(service, logger);
}
