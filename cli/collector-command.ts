import { systemClock } from '../common/clock.js';
import { nodeProcess, ProcessEnd } from '../common/process-end.js';
import { tracingFromEnv } from './tracing.js';
import { ConfigError } from '../common/errors.js';
import { createLogger, redactUrls } from '../common/logger.js';
import { logLevelOption, parse, UsageError, type Command } from './args.js';

/** `edgewatch collector --config FILE`: the cloud side. */
export const collectorCommand: Command = {
  name: 'collector',
  summary: 'run the cloud collector: log ingest and traces, rules, incidents, remediation, webhooks',
  help: `Usage: edgewatch collector --config FILE [--check] [--log-level LEVEL]
       edgewatch collector migrate --config FILE

Runs the edgewatch collector. Edge exporters (and anything else that speaks the Fluentd forward
protocol: Fluent Bit, fluent-logger in a cloud service) ship log records to its forward input; every
record is normalised (time with nanoseconds, node, task or service, level, msg, trace_id, ...) and
stored in SQLite (or PostgreSQL with store.url) before the sender's chunk is acked, so acked logs survive a crash.
Replicas sharing PostgreSQL elect a leader by a lease in the database (cluster.*): the leader ingests,
detects, remediates and sends webhooks; standbys serve the read API and take over when the lease lapses.
'migrate' applies the PostgreSQL schema migrations (store.url) and exits; the collector also applies
them at start.

Resent chunks are stored once. The HTTP API then returns a whole trace across edge nodes and cloud services.
Rules (rules.file, default alerts/collector-rules.yml) run on every record, heartbeat, restart and
Alertmanager alert as it arrives; a firing rule opens an incident, which is remediated step by step
(restart -> rollback -> migrate -> page) with signed commands over MQTT (mqtt.url, or the embedded
broker), within guardrails, and reported to webhooks (notify.webhooks) as Alertmanager v4 alerts.

Options:
  --config FILE       collector YAML config (see docs/configuration.md); every key has a default,
                      so an empty file gives a working single-machine setup
  --check             validate the config and every file it names (the signing key parses, the rules
                      compile, the store's directory takes files, existing database files are intact,
                      TLS files parse), print a summary or one "key: problem" line each, and exit
                      (0 = valid, 2 = invalid)
  --log-level LEVEL   debug | info | warn | error (default info); logs are JSON lines on stderr
  -h, --help          show this help

Inputs (forward.listen, default 127.0.0.1:24224):
  TCP (or TLS with forward.tls) Message, Forward, PackedForward and CompressedPackedForward modes,
  chunk acks, the shared_key handshake (forward.sharedKey, forward.users), UDP heartbeat on the same port.

Endpoints (http.listen, default 127.0.0.1:8080):
  /api/incidents, /api/incidents/{id}                   incidents: status, actions taken, evidence
  /api/nodes                                            edge nodes: online/offline and why, load, tasks
  POST /api/commands {node, task, type}                 a signed command (restart, stop, start, apply,
                                                        rollback, release, snapshot) and its ack
  /api/traces/{traceId}                                 every record of a trace, in time order
  /api/logs?node=&task=&since=&until=&level=&limit=     newest matching records, in time order
  POST /api/alertmanager                                Alertmanager v4 webhooks into the same rules
  /api/specs, /api/audit, /api/                         desired task specs; the audit log; the index
  Once a token exists (edgewatch token create), every /api call needs one, with a role: viewer reads,
  operator restarts, admin applies and releases, alertmanager posts alerts. A non-loopback http.listen
  without any credential refuses to start (docs/security.md).
  /metrics   edgewatch_collector_* (ingest, store, nodes, commands, incidents, remediation) and Node
  /healthz   200 while the process is alive
  /readyz    200 once the store is open and the inputs listen

Tracing (off by default): the standard OpenTelemetry variables turn on span export, e.g.
  OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318
  (OTEL_SERVICE_NAME defaults to edgewatch-collector; OTEL_SDK_DISABLED=true forces it off).
  Spans: collector.ingest, rule.fire, remediation.<action> (collector) and edge.command (exporter),
  one trace from the failing request to the edge action.

Examples:
  edgewatch collector --config examples/collector.yaml
  edgewatch collector --config /etc/edgewatch/collector.yaml --check
  edgewatch token create --config /etc/edgewatch/collector.yaml --name me --role viewer
  curl -s -H "Authorization: Bearer $TOKEN" 'localhost:8080/api/logs?node=edge-1&level=error&since=15m'
`,
  async run(argv, io) {
    if (argv[0] === 'migrate') return migrateCommand(argv.slice(1), io);
    const { values } = parse(argv, { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, 'log-level': { type: 'string' } });
    if (!values.config) throw new UsageError('--config FILE is required');
    const level = logLevelOption(values['log-level'], 'info');
    // loaded here, not at the top: the CLI of one command must not pay for the others' modules
    const { loadCollectorConfigFile } = await import('../collector/config.js');
    const config = loadCollectorConfigFile(values.config);
    if (values.check) {
      const [{ collectorPreflight }, { withoutPassword }] = await Promise.all([import('../collector/preflight.js'), import('../common/adapters/mqtt-bus.js')]);
      const problems = collectorPreflight(config);
      if (problems.length > 0) throw new ConfigError(values.config, problems);
      const f = config.forward;
      io.out(
        `${values.config}: valid (forward ${f.listen.host}:${f.listen.port}${f.tls ? ' tls' : ''}${f.sharedKey ? ' shared_key' : ''}, ` +
          `http ${config.http.listen.host}:${config.http.listen.port}, store ${config.store.url ? `${redactUrls(config.store.url)} (PostgreSQL, replica ${config.cluster.replica})` : config.store.path}, ` +
          `mqtt ${config.mqtt.url ? redactUrls(config.mqtt.url) : `embedded ${config.mqtt.embedded?.listen.host}:${config.mqtt.embedded?.listen.port}`})\n`,
      );
      return 0;
    }
    const logger = createLogger({ level, fields: { component: 'collector' } });
    const end = new ProcessEnd(logger, systemClock, nodeProcess(), 30_000);
    const tracing = await tracingFromEnv('edgewatch-collector', logger);
    const { startCollector } = await import('../collector/main.js');
    const collector = await startCollector(config, { logger, ...(tracing.tracer ? { tracer: tracing.tracer } : {}) });
    end.stopWith(async () => {
      await collector.stop();
      await tracing.shutdown();
    });
    await new Promise(() => {});
    return 0;
  },
};

/** `edgewatch collector migrate --config FILE`: applies the PostgreSQL schema and exits. */
async function migrateCommand(argv: string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string', short: 'c' } });
  if (!values.config) throw new UsageError('--config FILE is required');
  const { loadCollectorConfigFile } = await import('../collector/config.js');
  const config = loadCollectorConfigFile(values.config);
  if (!config.store.url) throw new UsageError(`${values.config}: store.url is not set: migrations are for PostgreSQL (SQLite files are prepared at start)`);
  const { PgDatabase } = await import('../collector/store/pg/pg-database.js');
  const db = new PgDatabase({ url: config.store.url, ...(config.store.schema ? { schema: config.store.schema } : {}) }, 'edgewatch-migrate');
  try {
    const { applied, version } = db.migration;
    for (const m of applied) io.out(`applied ${m.version}: ${m.name}\n`);
    io.out(`schema at version ${version}${applied.length === 0 ? ' (nothing to apply)' : ''}\n`);
  } finally {
    db.close();
  }
  return 0;
}
