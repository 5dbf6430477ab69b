import type { KeyObject } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Clock, Timers } from '../../common/clock.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import type { Span, Tracer } from '../../common/tracing.js';
import { EDGEWATCH_VERSION } from '../../common/version.js';
import type { LinkState, MessageBus } from '../../common/message-bus.js';
import type { Command } from '../../protocol/commands.js';
import type { LogRecord } from '../../protocol/log-record.js';
import { parseTraceparent } from '../../protocol/trace-id.js';
import { topics } from '../../protocol/topics.js';
import type { ExporterConfig } from '../config.js';
import type { ProblemReporter } from '../health/conditions.js';
import type { RecordSink } from '../logs/pipeline.js';
import type { TaskObserver } from '../supervisor/observer.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { CommandExecutor } from './command-executor.js';
import type { CommandJournal } from './command-journal.js';
import { ControlMetrics } from './control-metrics.js';
import { TelemetryReporter } from './telemetry-reporter.js';

/** What the control channel needs from the rest of the exporter (the supervisor is created after it). */
export interface ControlDeps {
  /** The MQTT client, with the node's Last Will (`offline`) and birth (`online`) on its status topic. */
  bus?: MessageBus & { start(): Promise<void>; close(): Promise<void>; onLinkState?(listener: (state: LinkState, detail?: string) => void): void };
  /** Told when the broker refuses the login (and when it accepts it again), for /readyz. */
  problem?: ProblemReporter;
  journal: CommandJournal;
  /** Trusted command verification keys by key id; empty rejects every command (`unknown_key`). */
  keys: Map<string, KeyObject>;
  /** CPU and memory of the node, read at each heartbeat. */
  load(): { cpu: number; memoryBytes: number; memoryTotalBytes: number };
  /** This exporter's boot id: a new one tells the collector the exporter restarted, not just the link. */
  bootId: string;
  clock: Clock & Timers;
  registry: Registry;
  logger: Logger;
  supervisor: () => Supervisor;
  spool: () => { records: number; bytes: number };
  /** Where the agent's own records go (the spool), so command actions show in the command's trace. */
  sink: RecordSink | undefined;
  baseDir: string;
  tracer: Tracer;
  /** Told of every command outcome (edge rules yield to a cloud action under way). */
  commandSeen?(cmd: Command | undefined, status: string): void;
  /** The edge rule set, for the heartbeat. */
  rules?(): { version: number; digest: string; source: 'cloud' | 'pinned' | 'none' };
}

/** The control channel's parts the rest of the exporter uses. */
export interface ControlChannel {
  observer: TaskObserver;
  components: Component[];
  /** The link's last measured round trip, ms. */
  latencyMs(): number | undefined;
  /** Sends a heartbeat now. */
  heartbeat(): void;
}

/**
 * The edge end of the MQTT control channel: status with a Last Will, heartbeats, task state, and signed
 * commands executed through the supervisor. Absent `mqtt.url`, the exporter runs on its own.
 */
export function createControlChannel(config: ExporterConfig, deps: ControlDeps): ControlChannel | undefined {
  const mqtt = config.mqtt;
  const bus = deps.bus;
  if (!mqtt || !bus) return undefined;
  const node = config.node;
  const log = deps.logger.child({ component: 'control' });
  const journal = deps.journal;
  const metrics = new ControlMetrics(deps.registry, node);
  bus.onConnection((up) => metrics.connected(up));
  // a refused login is decided: retried with backoff by the bus, and said in /readyz until it works
  bus.onLinkState?.((state, detail) => {
    if (state === 'refused') deps.problem?.({ code: 'EW_MQTT_LOGIN_REFUSED', reason: 'login_refused', message: detail ?? 'the MQTT broker refused the login' });
    else if (state === 'connected') deps.problem?.(undefined);
  });
  const reporter = new TelemetryReporter(
    bus,
    {
      tasks: () => deps.supervisor().describe(),
      load: deps.load,
      spool: deps.spool,
      epoch: () => journal.epoch,
      ...(deps.rules ? { rules: deps.rules } : {}),
    },
    { node, bootId: deps.bootId, version: EDGEWATCH_VERSION, heartbeatMs: mqtt.heartbeatSeconds * 1000, coalesceMs: 100, labels: config.labels, taints: config.taints, maxTasks: config.capacity.tasks },
    deps.clock,
    log,
  );
  // the edge action as a span (child of the command's) and as a log record in the same trace
  const spans = new Map<string, Span>();
  const actionSpan = (cmd: Command, status: string, detail: string | undefined): Span => {
    let span = spans.get(cmd.id);
    if (!span) {
      span = deps.tracer.startSpan(`edge.command ${cmd.type}`, { ...(cmd.traceparent ? { parent: cmd.traceparent } : {}), attributes: { 'edgewatch.node': node, 'edgewatch.command_id': cmd.id, ...(cmd.task ? { 'edgewatch.task': cmd.task } : {}) } });
      spans.set(cmd.id, span);
    }
    if (status !== 'accepted') {
      spans.delete(cmd.id);
      span.end(status === 'done' ? undefined : `${status}${detail ? `: ${detail}` : ''}`);
    }
    return span;
  };
  const traceRecord = (cmd: Command | undefined, status: string, detail: string | undefined) => {
    if (!cmd) return;
    const span = actionSpan(cmd, status, detail);
    const tp = parseTraceparent(span.traceparent);
    const parent = parseTraceparent(cmd.traceparent);
    if (!deps.sink || !tp || !parent) return;
    const record: LogRecord = {
      ts: deps.clock.now(),
      node,
      task: cmd.task ?? '_agent',
      stream: 'agent',
      level: status === 'failed' || status === 'rejected' ? 'warn' : 'info',
      msg: `command ${cmd.type}${cmd.task ? ` ${cmd.task}` : ''} ${status}${detail ? `: ${detail}` : ''}`,
      trace_id: tp.traceId,
      span_id: tp.spanId,
      attrs: { command_id: cmd.id, command_type: cmd.type, status, parent_span_id: parent.spanId },
    };
    deps.sink.write(record);
  };
  const executor = new CommandExecutor(
    { node, keys: deps.keys, clockSkewMs: 60_000, baseDir: deps.baseDir, allow: new Set(config.commands.allow), ...(config.commands.allowExecutables ? { allowExecutables: config.commands.allowExecutables } : {}) },
    journal,
    {
      has: (t) => deps.supervisor().has(t),
      startTask: (t) => deps.supervisor().startTask(t),
      stopTask: (t) => deps.supervisor().stopTask(t),
      restartTask: (t) => deps.supervisor().restartTask(t),
      apply: (s) => deps.supervisor().apply(s),
      rollback: (t, v) => deps.supervisor().rollback(t, v),
      release: (t) => deps.supervisor().release(t),
      currentSpec: (t) => deps.supervisor().currentSpec(t),
      previousVersion: (t) => deps.supervisor().previousVersion(t),
      snapshot: () => reporter.snapshot(),
    },
    deps.clock,
    {
      ack: (ack) => void bus.publish(topics.acks(node), JSON.stringify(ack), { qos: 1 }).catch((err) => log.warn('ack publish failed', { id: ack.id, err })),
      outcome: (cmd, status, code, detail) => {
        metrics.outcome(cmd?.type, status, code);
        deps.commandSeen?.(cmd, status);
        traceRecord(cmd, status, detail);
      },
    },
    log,
  );
  const channel: Component = {
    name: 'control',
    async start() {
      // journaled before returning, so the PUBACK that follows never covers an unrecorded command
      await bus.subscribe(topics.commands(node), (_topic, payload) => executor.receive(payload));
      await bus.start();
      await reporter.start();
      executor.resumeUnfinished();
    },
    async stop() {
      reporter.stop();
      await Promise.race([executor.idle(), new Promise((r) => deps.clock.setTimeout(() => r(undefined), 5000))]);
      if (bus.connected) await bus.publish(topics.status(node), 'offline', { qos: 1, retain: true }).catch(() => undefined);
      await bus.close();
      journal.compact(deps.clock.now());
    },
  };
  return { observer: reporter.observer(), components: [channel], latencyMs: () => reporter.latencyMs, heartbeat: () => reporter.beat() };
}
