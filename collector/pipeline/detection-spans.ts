import type { Tracer } from '../../common/tracing.js';
import type { RuleTransition } from '../../common/rules/signals.js';
import type { Incident } from '../incidents/incident.js';
import type { Event } from '../events/event.js';

/**
 * The spans detection records when OpenTelemetry is on: `collector.ingest` per evaluated batch,
 * `rule.fire <rule>` in the failing request's trace (linked to the batch that delivered it), and one
 * `remediation.<action>` span per step, whose traceparent the command carries to the edge.
 */
export class DetectionSpans {
  /** The ingest span of the batch being evaluated, so a rule firing from it links to it. */
  private link: string | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly randomHex: (bytes: number) => string,
  ) {}

  /** Starts the batch's ingest span (none without tracing: the hot path must not pay for ids it throws away). */
  evaluating(now: number, events: readonly Event[], input = 'forward'): { end(): void } | undefined {
    this.link = undefined;
    if (!this.tracer.enabled || events.length === 0) return undefined;
    const span = this.tracer.startSpan('collector.ingest', { startTimeMs: now, attributes: { 'edgewatch.input': input, 'edgewatch.tag': events[0]!.tag, 'edgewatch.records': events.length } });
    this.link = span.traceparent;
    return span;
  }

  /** A child of the failing request's trace, so the command and the edge action join it; returns its traceparent. */
  ruleFired(t: RuleTransition, traceId: string): string {
    const span = this.tracer.startSpan(`rule.fire ${t.rule}`, {
      parent: `00-${traceId}-${this.randomHex(8)}-01`,
      ...(this.link ? { links: [this.link] } : {}),
      attributes: { 'edgewatch.rule': t.rule, ...(t.labels.node ? { 'edgewatch.node': t.labels.node } : {}), ...(t.labels.task ? { 'edgewatch.task': t.labels.task } : {}), ...(t.value !== undefined ? { 'edgewatch.value': t.value } : {}) },
    });
    span.end();
    return span.traceparent;
  }

  /** A remediation step, child of the incident's rule-firing span. */
  step(name: string, i: Pick<Incident, 'traceId' | 'traceparent'>): { traceparent: string; end(error?: string): void } {
    const span = this.tracer.startSpan(name, { parent: i.traceparent ?? `00-${i.traceId}-${this.randomHex(8)}-01` });
    return { traceparent: span.traceparent, end: (error?: string) => span.end(error) };
  }
}
