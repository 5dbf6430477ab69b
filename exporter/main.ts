import { randomBytes, type KeyObject } from 'node:crypto';
import { Registry } from 'prom-client';
import { readSecretFile, readVerifyKey } from '../common/adapters/key-files.js';
import { MqttBus } from '../common/adapters/mqtt-bus.js';
import { systemClock, type Clock, type Timers } from '../common/clock.js';
import { Lifecycle, periodic } from '../common/lifecycle.js';
import { errorOnChange, type Logger } from '../common/logger.js';
import { idOnlyTracer, type Tracer } from '../common/tracing.js';
import { EDGEWATCH_VERSION } from '../common/version.js';
import { topics } from '../protocol/topics.js';
import { cronScheduler } from './adapters/cron-scheduler.js';
import { FluentForwardClient } from './adapters/fluent-forward-client.js';
import { GroupWatchdog } from './adapters/group-watchdog.js';
import { fileHistoryStore } from './adapters/history-file.js';
import { ExporterHttpServer } from './adapters/http-server.js';
import { NodeLoad } from './adapters/node-load.js';
import { probeCheckFor } from './adapters/probe-checks.js';
import { PidFile, trackedLauncher } from './adapters/pid-file.js';
import { procSampler } from './adapters/proc-sampler.js';
import { spawnLauncher } from './adapters/spawn-launcher.js';
import type { ExporterConfig } from './config.js';
import { CommandJournal } from './control/command-journal.js';
import { createControlChannel, type ControlChannel } from './control/control-channel.js';
import { createEdgeAutonomy } from './edge/edge-autonomy.js';
import { Conditions } from './health/conditions.js';
import { LogPipeline } from './logs/pipeline.js';
import { createLogShipping } from './spool/log-shipping.js';
import { AgentMetrics } from './metrics/agent-metrics.js';
import { metricsObserver } from './metrics/metrics-observer.js';
import { TaskMetrics } from './metrics/task-metrics.js';
import { TaskHistory } from './supervisor/history.js';
import { fanoutObserver } from './supervisor/observer.js';
import { Supervisor } from './supervisor/supervisor.js';

/** A running exporter: its HTTP port, the supervisor, and how to stop it. */
export interface RunningExporter {
  readonly port: number;
  readonly registry: Registry;
  readonly supervisor: Supervisor;
  stop(): Promise<void>;
}

/** Options the composition root takes from its caller (the CLI passes the process's own). */
export interface ExporterRuntime {
  logger: Logger;
  env: NodeJS.ProcessEnv;
  clock?: Clock & Timers;
  /** OpenTelemetry when enabled (the CLI starts it from OTEL_* variables); trace ids only otherwise. */
  tracer?: Tracer;
}

/** Composition root of the edge exporter: builds the real adapters, wires them, starts them in order. */
export async function startExporter(config: ExporterConfig, runtime: ExporterRuntime): Promise<RunningExporter> {
  const clock = runtime.clock ?? systemClock;
  const logger = runtime.logger.child({ node: config.node });
  const registry = new Registry();
  const taskMetrics = new TaskMetrics(registry, config.node, {
    maxAgeSeconds: config.metrics.summaryMaxAgeSeconds,
    ageBuckets: config.metrics.summaryAgeBuckets,
    now: () => clock.now(),
  });
  const forwardClient = config.forward
    ? new FluentForwardClient({
        addresses: [config.forward.address, ...config.forward.failover],
        node: config.node,
        tls: config.forward.tls,
        flushIntervalMs: config.forward.flushIntervalMs,
        ackTimeoutMs: config.forward.ackTimeoutMs,
        ...forwardSecrets(config.forward),
      })
    : undefined;
  // what may degrade without stopping supervision: the spool, the state files, the MQTT login
  const conditions = new Conditions(registry, config.node, logger.child({ component: 'health' }));
  const shipping = createLogShipping(config, forwardClient, clock, (fn) => setImmediate(fn), registry, logger, conditions.reporter('spool'));
  const bus = config.mqtt
    ? new MqttBus(
        {
          url: config.mqtt.url,
          clientId: `edgewatch-exporter-${config.node}`,
          ...(config.mqtt.username !== undefined ? { username: config.mqtt.username } : {}),
          ...(config.mqtt.passwordFile ? { password: readSecretFile(config.mqtt.passwordFile, 'mqtt.passwordFile') } : config.mqtt.password !== undefined ? { password: config.mqtt.password } : {}),
          will: { topic: topics.status(config.node), payload: 'offline', retain: true },
          birth: { topic: topics.status(config.node), payload: 'online', retain: true },
          onRefused: 'retry',
        },
        logger.child({ component: 'control' }),
      )
    : undefined;
  const journal = new CommandJournal(config.state.dir, { now: () => clock.now(), report: conditions.reporter('command_journal') });
  const historyStore = fileHistoryStore(config.state.dir, conditions.reporter('task_history'));
  const keys = new Map<string, KeyObject>();
  if (config.commands.publicKeyFile) {
    const { publicKey, keyId } = readVerifyKey(config.commands.publicKeyFile);
    keys.set(keyId, publicKey);
  } else if (bus) logger.warn('commands.publicKeyFile is not set: every command will be rejected (unknown_key)');
  const load = new NodeLoad();
  let control: ControlChannel | undefined;
  // edge rules: the same engine on the node's own lines and task events, acting when the cloud cannot
  const edge = createEdgeAutonomy(config, {
    bus,
    keys,
    clock,
    registry,
    logger,
    supervisor: () => supervisor,
    problem: conditions.reporter('edge_incidents'),
    latencyMs: () => control?.latencyMs(),
    heartbeat: () => control?.heartbeat(),
  });
  const logs = new LogPipeline(config.node, taskMetrics, clock, shipping?.sink, edge?.tap);
  control = createControlChannel(config, {
    ...(bus ? { bus } : {}),
    journal,
    problem: conditions.reporter('mqtt'),
    keys,
    load: () => load.sample(),
    bootId: `${clock.now().toString(36)}-${randomBytes(4).toString('hex')}`,
    clock,
    registry,
    logger,
    supervisor: () => supervisor,
    spool: () => shipping?.spool.stats() ?? { records: 0, bytes: 0 },
    sink: shipping?.sink,
    baseDir: config.baseDir,
    tracer: runtime.tracer ?? idOnlyTracer((n) => randomBytes(n).toString('hex')),
    ...(edge ? { commandSeen: edge.commandSeen, rules: edge.ruleSet } : {}),
  });
  const history = new TaskHistory(historyStore, config.history.versions);
  const pidFile = new PidFile(config.state.dir, logger, conditions.reporter('pid_file'));
  pidFile.reapLeftovers();
  // a state.dir that refused a write is tried again, so a disk that is fixed clears /readyz by itself
  const stateRetry = periodic('state-retry', clock, 2000, () => {
    historyStore.retry();
    pidFile.retry();
    journal.probe();
  }, errorOnChange(logger, 'state.dir retry failed'));
  // ends the tasks' process groups if this process dies without stopping them (SIGKILL, OOM kill)
  const watchdog = new GroupWatchdog(logger.child({ component: 'watchdog' }));
  const supervisor = new Supervisor(config.tasks, {
    clock,
    timers: clock,
    launcher: trackedLauncher(spawnLauncher(runtime.env), pidFile, watchdog),
    sampler: procSampler,
    probeCheck: probeCheckFor,
    observer: fanoutObserver(metricsObserver(taskMetrics), ...(control ? [control.observer] : []), ...(edge ? [edge.observer] : [])),
    logger,
    linesFor: (spec) => logs.handlerFor(spec),
    envFor: (spec) => ({ EDGEWATCH_NODE: config.node, EDGEWATCH_TASK: spec.name, EDGEWATCH_VERSION: spec.version }),
    scheduler: cronScheduler,
    history,
    sampleIntervalMs: config.metrics.sampleIntervalSeconds * 1000,
  });
  const agentMetrics = new AgentMetrics(registry, config.node, EDGEWATCH_VERSION, () => supervisor.list().length);

  let ready = false;
  const http = new ExporterHttpServer(
    config.http.listen,
    registry,
    () => (ready ? conditions.readiness() : { ok: false, reason: 'starting tasks' }),
    logger,
    (seconds) => agentMetrics.rendered(seconds),
  );
  const lifecycle = new Lifecycle(logger);
  // the watchdog before the supervisor, so it is told of every task and outlives their stop
  // edge rules before the control channel, which connects the bus: their subscriptions are in place by then
  await lifecycle.start([http, ...(shipping?.components ?? []), stateRetry, watchdog, supervisor, ...(edge ? [edge.component] : []), ...(control?.components ?? [])]);
  ready = true;
  logger.info('exporter started', { tasks: config.tasks.map((t) => t.name), metrics: `http://${config.http.listen.host}:${http.port}/metrics` });
  return {
    get port() {
      return http.port;
    },
    registry,
    supervisor,
    async stop() {
      ready = false;
      await lifecycle.stop();
    },
  };
}

/** The forward handshake's secrets: inline in the config, or read from the files it names. */
function forwardSecrets(f: NonNullable<ExporterConfig['forward']>): { sharedKey?: string; username?: string; password?: string } {
  const sharedKey = f.sharedKeyFile ? readSecretFile(f.sharedKeyFile, 'forward.sharedKeyFile') : f.sharedKey;
  const password = f.passwordFile ? readSecretFile(f.passwordFile, 'forward.passwordFile') : f.password;
  return { ...(sharedKey ? { sharedKey } : {}), ...(f.username ? { username: f.username } : {}), ...(password ? { password } : {}) };
}
