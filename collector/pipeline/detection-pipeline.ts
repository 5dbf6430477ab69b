import type { Logger } from '../../common/logger.js';
import { fillLogSignal } from '../../common/rules/log-signal.js';
import type { RuleEngine } from '../../common/rules/rule-engine.js';
import type { LogSignal, RuleTransition, Signal } from '../../common/rules/signals.js';
import type { Event } from '../events/event.js';
import type { IncidentBook, IncidentChange } from '../incidents/incident-book.js';
import type { Remediator } from '../remediation/remediator.js';
import type { EdgeFence } from '../edge/edge-fence.js';
import type { DetectionSpans } from './detection-spans.js';
import { sequence, stage, type Stage } from './stage.js';

/** One run of detection: what arrived together, and what each stage made of it. */
export interface DetectionBatch {
  /** The input the events arrived on (`forward`, `internal`), for the ingest span. */
  readonly input: string;
  /** Log events just stored by ingest (never a resend). */
  readonly events: readonly Event[];
  /** Heartbeats, task states and restarts (control channel), and Alertmanager alerts. */
  readonly signals: readonly Signal[];
  /** The periodic tick: leases, `for:`, windows and verification deadlines advance without a signal. */
  readonly tick: boolean;
  /** Filled by evaluate-rules. */
  transitions: RuleTransition[];
  /** Filled by open-incidents. */
  changes: IncidentChange[];
}

/** A batch for {@link detectionPipeline}. */
export function detectionBatch(from: { input?: string; events?: readonly Event[]; signals?: readonly Signal[]; tick?: boolean }): DetectionBatch {
  return { input: from.input ?? 'control', events: from.events ?? [], signals: from.signals ?? [], tick: from.tick ?? false, transitions: [], changes: [] };
}

const settled = (b: DetectionBatch) => !b.tick && b.transitions.length === 0 && b.changes.length === 0;

/** Fills the batch's reused signal from an event: `at` is the event's time, never the future. */
function fromEvent(s: LogSignal, e: Event, now: number): LogSignal {
  return fillLogSignal(s, e.timeMs < now ? e.timeMs : now, e, e); // edge clocks can run ahead; the rules must not see the future
}

/** The rule engine's one entry point: stored log events, control signals, alerts and ticks in; transitions out. */
export function evaluateRules(engine: RuleEngine, spans: DetectionSpans): Stage<DetectionBatch> {
  return stage('evaluate-rules', (ctx, batch) => {
    const out = batch.transitions;
    const span = spans.evaluating(ctx.now, batch.events, batch.input);
    if (batch.events.length > 0) {
      const signal: LogSignal = { kind: 'log', at: 0, level: 'info', msg: '' };
      for (const e of batch.events) {
        const t = engine.observe(fromEvent(signal, e, ctx.now));
        if (t.length > 0) out.push(...t);
      }
    }
    span?.end();
    for (const s of batch.signals) {
      const t = engine.observe(s);
      if (t.length > 0) out.push(...t);
    }
    if (batch.tick) out.push(...engine.tick(ctx.now));
    return batch;
  });
}

/**
 * One actor per fault: rules scoped `both` fired for a fault a node already handled are fenced by its
 * claim, and held a moment first so the claim can arrive (collector/edge/edge-fence.ts).
 */
export function fenceEdgeClaims(fence: Pick<EdgeFence, 'filter'>): Stage<DetectionBatch> {
  return stage('fence-edge-claims', (ctx, batch) => {
    batch.transitions = fence.filter(batch.transitions, ctx.now);
    return batch;
  });
}

/** Transitions become incidents: a firing rule opens one (with its evidence and a page), a clear marks it. */
export function openIncidents(book: IncidentBook): Stage<DetectionBatch> {
  return stage('open-incidents', (ctx, batch) => {
    for (const t of batch.transitions) {
      const change = book.track(t, ctx.now);
      if (change) batch.changes.push(change);
    }
    batch.transitions = [];
    return batch;
  });
}

/**
 * Each change takes its next step on the ladder (a signed command, a resolution, a page); on ticks,
 * verification deadlines and withheld steps are revisited. One change that fails is logged, not fatal.
 */
export function remediate(remediator: Remediator, logger: Logger): Stage<DetectionBatch> {
  return stage('remediate', (ctx, batch) => {
    for (const c of batch.changes) {
      try {
        remediator.onChange(c, ctx.now);
      } catch (err) {
        logger.error('handling an incident change failed', { incident: c.incident.id, rule: c.incident.rule, err });
      }
    }
    if (batch.tick) remediator.tick(ctx.now);
    return batch;
  });
}

/**
 * From any input to action, top to bottom. A log line stored by ingest, a heartbeat or task state from
 * the control channel, an Alertmanager alert, and the 1 s tick all enter here:
 *   evaluate-rules → fence-edge-claims → open-incidents → remediate (commands through the dispatcher)
 * and the incident book announces every lifecycle change (opened, resolved, escalated) to the webhooks
 * as it happens, wherever it happens: here, after a verification window, or when a command result comes.
 * A run stops as soon as nothing is left to do (no transition, no change), which is almost every run.
 */
export function detectionPipeline(d: { engine: RuleEngine; book: IncidentBook; remediator: Remediator; spans: DetectionSpans; logger: Logger; fence?: Pick<EdgeFence, 'filter'> }): Stage<DetectionBatch> {
  const fence = d.fence ? [fenceEdgeClaims(d.fence)] : [];
  return sequence(settled, evaluateRules(d.engine, d.spans), ...fence, openIncidents(d.book), remediate(d.remediator, d.logger));
}
