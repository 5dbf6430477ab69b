import { Counter, Gauge, type Registry } from 'prom-client';
import { registerProcessMetrics } from '../../common/process-metrics.js';

/** The exporter's own metrics: build info, configured tasks, background errors, and Node process metrics. */
export class AgentMetrics {
  static readonly names = ['edgewatch_exporter_build_info', 'edgewatch_exporter_tasks', 'edgewatch_exporter_errors_total', 'edgewatch_exporter_metrics_render_seconds'];
  private readonly errors: Counter<'node' | 'component'>;
  private readonly render: Gauge<'node'>;

  constructor(
    registry: Registry,
    private readonly node: string,
    version: string,
    taskCount: () => number,
  ) {
    const registers = [registry];
    new Gauge({ name: 'edgewatch_exporter_build_info', help: 'edgewatch exporter build (value always 1).', labelNames: ['node', 'version'], registers }).set({ node, version }, 1);
    new Gauge({
      name: 'edgewatch_exporter_tasks',
      help: 'Tasks supervised by this exporter.',
      labelNames: ['node'],
      registers,
      collect() {
        this.set({ node }, taskCount());
      },
    });
    this.errors = new Counter({ name: 'edgewatch_exporter_errors_total', help: 'Errors caught in background loops, by component.', labelNames: ['node', 'component'], registers });
    this.errors.labels({ node, component: 'supervisor' });
    this.render = new Gauge({ name: 'edgewatch_exporter_metrics_render_seconds', help: 'Time the previous /metrics render took.', labelNames: ['node'], registers });
    registerProcessMetrics(registry, { node });
  }

  rendered(seconds: number): void {
    this.render.set({ node: this.node }, seconds);
  }

  error(component: string): void {
    this.errors.inc({ node: this.node, component });
  }
}
