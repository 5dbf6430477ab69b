import { collectDefaultMetrics, type Registry } from 'prom-client';

// prom-client exposes these gauges with a counter's _total suffix; promtool (rightly) rejects that,
// and the per-type nodejs_active_* gauges carry the same numbers.
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** Registers Node.js process metrics (CPU, memory, event loop, GC) on `registry`, promtool-clean. */
export function registerProcessMetrics(registry: Registry, labels: Record<string, string> = {}): void {
  collectDefaultMetrics({ register: registry, labels });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
}
