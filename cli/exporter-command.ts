import { systemClock } from '../common/clock.js';
import { nodeProcess, ProcessEnd } from '../common/process-end.js';
import { tracingFromEnv } from './tracing.js';
import { ConfigError } from '../common/errors.js';
import { createLogger } from '../common/logger.js';
import { logLevelOption, parse, UsageError, type Command } from './args.js';

/** `edgewatch exporter --config FILE`: the edge agent. */
export const exporterCommand: Command = {
  name: 'exporter',
  summary: 'run the edge agent: supervise tasks, expose /metrics, ship logs, take commands',
  help: `Usage: edgewatch exporter --config FILE [--check] [--log-level LEVEL]

Runs the edge exporter on this node. It supervises the tasks listed in the config as child processes
(restart policy, CrashLoopBackOff, liveness probes, memory limits, cron jobs), parses every line they
print (json, logfmt or text) into metrics and log records, and serves Prometheus metrics.
It keeps working with no cloud at all: supervision, probes and restarts never depend on the link.

Options:
  --config FILE       exporter YAML config (see docs/configuration.md)
  --check             validate the config and every file it names (the command key parses, a pinned
                      edge rule file is valid, spool.dir and state.dir take files, the spool's disk
                      has room for spool.maxBytes), print a summary or one "key: problem" line each,
                      and exit (0 = valid, 2 = invalid)
  --log-level LEVEL   debug | info | warn | error (default info); logs are JSON lines on stderr
  -h, --help          show this help

Endpoints (http.listen, default 127.0.0.1:9464; 0.0.0.0:9464 for a Prometheus elsewhere):
  /metrics   Prometheus exposition: edgewatch_task_* per task, the agent's own, Node process metrics
  /healthz   200 while the process is alive
  /readyz    200 once the tasks have been started and nothing is degraded; 503 says why (a full or
             read-only spool.dir, a state.dir that refuses writes, an MQTT login the broker refuses)

Tracing (off by default): the standard OpenTelemetry variables turn on span export, e.g.
  OTEL_TRACES_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318
  (OTEL_SERVICE_NAME defaults to edgewatch-exporter; OTEL_SDK_DISABLED=true forces it off).
  Spans: collector.ingest, rule.fire, remediation.<action> (collector) and edge.command (exporter),
  one trace from the failing request to the edge action.

Examples:
  edgewatch exporter --config examples/exporter.yaml
  edgewatch exporter --config /etc/edgewatch/exporter.yaml --check
  curl -s localhost:9464/metrics | grep edgewatch_task_up
`,
  async run(argv, io) {
    const { values } = parse(argv, { config: { type: 'string', short: 'c' }, check: { type: 'boolean' }, 'log-level': { type: 'string' } });
    if (!values.config) throw new UsageError('--config FILE is required');
    const level = logLevelOption(values['log-level'], 'info');
    // loaded here, not at the top: the CLI of one command must not pay for the others' modules
    const { loadExporterConfigFile } = await import('../exporter/config.js');
    const config = loadExporterConfigFile(values.config);
    if (values.check) {
      const { exporterPreflight } = await import('../exporter/preflight.js');
      const problems = exporterPreflight(config);
      if (problems.length > 0) throw new ConfigError(values.config, problems);
      io.out(`${values.config}: valid (node ${config.node}, ${config.tasks.length} task(s): ${config.tasks.map((t) => `${t.name}@${t.version}`).join(', ') || 'none'})\n`);
      return 0;
    }
    const logger = createLogger({ level, fields: { component: 'exporter' } });
    // a signal or a fatal error, even during start-up, stops the tasks before the process ends; the
    // deadline leaves every task its terminationGracePeriodSeconds
    const graceMs = Math.max(0, ...config.tasks.map((t) => t.terminationGracePeriodSeconds)) * 1000;
    const end = new ProcessEnd(logger, systemClock, nodeProcess(), graceMs + 15_000);
    const tracing = await tracingFromEnv('edgewatch-exporter', logger);
    const { startExporter } = await import('../exporter/main.js');
    const exporter = await startExporter(config, { logger, env: process.env, ...(tracing.tracer ? { tracer: tracing.tracer } : {}) });
    end.stopWith(async () => {
      await exporter.stop();
      await tracing.shutdown();
    });
    await new Promise(() => {});
    return 0;
  },
};
