import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import type { RunningCollector } from '../collector/main.js';
import { ensureKeyPair } from '../common/adapters/key-files.js';
import { systemClock } from '../common/clock.js';
import { nodeProcess, ProcessEnd } from '../common/process-end.js';
import { tracingFromEnv } from './tracing.js';
import { createLogger } from '../common/logger.js';
import { logLevelOption, parse, UsageError, type Command, type Io } from './args.js';

/** Where the example configs of `edgewatch start` live (examples/start/ of the package, wherever it runs from). */
const startDir = fileURLToPath(new URL('../../examples/start/', import.meta.url));

/** The ports start wants, the flag that changes each, and the default users and shipped targets expect. */
const PORTS = [
  { key: 'http', flag: '--http', fallback: 8080, what: 'collector API and /metrics' },
  { key: 'metrics', flag: '--metrics', fallback: 9464, what: 'exporter /metrics' },
  { key: 'forward', flag: '--forward', fallback: 24224, what: 'forward-protocol log input' },
  { key: 'mqtt', flag: '--mqtt', fallback: 1883, what: 'embedded MQTT broker' },
  { key: 'service-port', flag: '--service-port', fallback: 8081, what: 'example HTTP service' },
] as const;
type PortKey = (typeof PORTS)[number]['key'];

/** The config loaders, imported when `start` runs. */
let loaders: { loadCollectorConfig: typeof import('../collector/config.js').loadCollectorConfig; loadExporterConfig: typeof import('../exporter/config.js').loadExporterConfig } | undefined;

/** `edgewatch start`: the whole stack on one machine, as `npm start` runs it. */
export const startCommand: Command = {
  name: 'start',
  summary: 'all-in-one: a collector (embedded MQTT broker, SQLite) and an exporter running the example tasks',
  help: `Usage: edgewatch start [--http PORT] [--metrics PORT] [--forward PORT] [--mqtt PORT]
                       [--service-port PORT] [--host HOST] [--data-dir DIR] [--log-level LEVEL]

Runs edgewatch on this machine with nothing else installed ('npm start' runs exactly this):
  - a collector: forward-protocol log input, SQLite store under the data directory, an embedded MQTT
    broker (aedes), the default rules of alerts/collector-rules.yml, incidents and remediation, HTTP API;
  - one exporter, node "edge-local", running the tasks of examples/start/exporter.yaml: an HTTP service
    (api), a load generator calling it 3 times a second (loadgen) and a cron job (cleanup). The service
    has a scripted fault: it answers 500 for 3 s of every 40 s. Within about 40 s the collector's
    consecutive-5xx rule opens an incident and restarts api with a signed command over MQTT; the
    fourth such incident within 30 minutes is flapping and escalates to on-call instead.
Both run in this one process (one thing to stop, one log stream); the tasks are its child processes.
Ctrl-C or SIGTERM stops the exporter first (its tasks get SIGTERM, then SIGKILL after 5 s), then the
collector. Configs: examples/start/collector.yaml and examples/start/exporter.yaml.

Ports (on --host, default 127.0.0.1; --host 0.0.0.0 to reach them from other machines; IPv4 only):
  --http PORT          collector API and its /metrics (default 8080)
  --metrics PORT       exporter /metrics (default 9464)
  --forward PORT       forward-protocol log input, for Fluent Bit or more exporters (default 24224)
  --mqtt PORT          embedded MQTT broker (default 1883)
  --service-port PORT  the example HTTP service the tasks use (default 8081)
A default port that is taken (say, by a Mosquitto on 1883) is replaced by a free one, and start says
which. A port you name is used or start fails, naming the flag. PORT 0 means any free port.

The console (incidents, traces, nodes, commands) is at http://HOST:PORT/ of --http; sign in with a token.
The API needs a token: start writes DATA-DIR/admin.token (role admin) and DATA-DIR/alertmanager.token
(role alertmanager, for an Alertmanager's credentials_file) on first start and prints how to use them.

Other options:
  --data-dir DIR       store, command keys, API tokens, exporter spool and state (default ./data)
  --log-level LEVEL    debug | info | warn | error (default warn); JSON lines on stderr
  -h, --help           show this help

A real Prometheus and Alertmanager (alerts/, docs/operations.md):
  prometheus --config.file=alerts/prometheus/prometheus.yml
    scrapes the targets of alerts/prometheus/targets/: the exporter at localhost:9464 (node edge-local)
    and the collector at localhost:8080, the defaults above; change the lists if start picked others.
  prometheus-alertmanager --config.file=alerts/alertmanager.yml (on localhost:9093)
    after changing its collector receiver URL to http://127.0.0.1:8080/api/alertmanager.

Examples:
  npm start
  edgewatch start --http 18080 --metrics 19464 --data-dir /tmp/edgewatch
  curl -s -H "Authorization: Bearer $(cat data/admin.token)" localhost:8080/api/incidents
`,
  async run(argv, io) {
    const { values } = parse(argv, {
      ...Object.fromEntries(PORTS.map((p) => [p.key, { type: 'string' as const }])),
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'log-level': { type: 'string' },
    });
    const level = logLevelOption(values['log-level'], 'warn');
    const host = (values.host as string | undefined) ?? '127.0.0.1';
    // The embedded broker's URL and the example tasks assume IPv4 (or a host name).
    if (host.includes(':')) throw new UsageError(`--host must be an IPv4 address or a host name (e.g. 127.0.0.1 or 0.0.0.0), got "${host}"`);
    const dataDir = resolve((values['data-dir'] as string | undefined) ?? 'data');
    const flags = values as Record<string, string | undefined>;
    const notes: string[] = [];
    const ports = {} as Record<PortKey, number>;
    for (const p of PORTS) ports[p.key] = await choosePort(host, p, flags[p.key], notes);

    const logger = createLogger({ level });
    const end = new ProcessEnd(logger, systemClock, nodeProcess(), 60_000);
    const keyFile = ensureKeyPair(join(dataDir, 'keys'));
    const tokenFiles = await apiTokens(dataDir);
    const node = await nodeCredentials(dataDir, 'edge-local');
    const tracing = await tracingFromEnv('edgewatch', logger);
    // loaded here, not at the top: `edgewatch exporter` on an edge device must not load the collector
    const [{ startCollector }, { startExporter }, { loadCollectorConfig }, { loadExporterConfig }] = await Promise.all([
      import('../collector/main.js'),
      import('../exporter/main.js'),
      import('../collector/config.js'),
      import('../exporter/config.js'),
    ]);
    loaders = { loadCollectorConfig, loadExporterConfig };
    const traced = tracing.tracer ? { tracer: tracing.tracer } : {};
    const collector = await startCollector(collectorConfig(host, ports, dataDir, keyFile), { logger: logger.child({ component: 'collector' }), ...traced });
    let exporter: Awaited<ReturnType<typeof startExporter>>;
    let exporterCfg: ReturnType<typeof exporterConfig>;
    try {
      exporterCfg = exporterConfig(host, ports, dataDir, collector, node);
      exporter = await startExporter(exporterCfg, { logger: logger.child({ component: 'exporter' }), env: process.env, ...traced });
    } catch (err) {
      await collector.stop();
      throw err;
    }
    end.stopWith(async () => {
      await exporter.stop();
      await collector.stop();
      await tracing.shutdown();
    });
    printBanner(io, { fault: faultNote(exporterCfg), node: exporterCfg.node, host, dataDir, tokenFile: tokenFiles.admin, collector, exporterPort: exporter.port, servicePort: ports['service-port'], notes });
    await new Promise(() => {});
    return 0;
  },
};

/** The port to use for one flag: the one named (checked), else the default when free, else a free one. */
async function choosePort(host: string, p: (typeof PORTS)[number], flag: string | undefined, notes: string[]): Promise<number> {
  if (flag !== undefined) {
    if (!/^\d{1,5}$/.test(flag) || Number(flag) > 65535) throw new UsageError(`${p.flag} must be a port number (0-65535), got "${flag}"`);
    const port = Number(flag);
    if (port !== 0 && !(await canListen(host, port))) {
      throw new UsageError(`${host}:${port} (${p.flag}, the ${p.what}) is already in use: choose another with ${p.flag} PORT, or ${p.flag} 0 for any free port`);
    }
    return port === 0 ? freePort(host) : port;
  }
  if (await canListen(host, p.fallback)) return p.fallback;
  const port = await freePort(host);
  notes.push(`port ${p.fallback} (${p.what}) is taken on ${host}: using ${port} instead (${p.flag} PORT to choose)`);
  return port;
}

/** Whether host:port can be bound right now (another process may take it before we do; then start fails). */
function canListen(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => done(true)));
  });
}

/** A port the OS just handed out on host (the example service needs a number before it starts). */
function freePort(host: string): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

/**
 * The API's tokens under the data dir, made on first start: `admin.token` for the person at the terminal
 * and `alertmanager.token` for an Alertmanager posting alerts (its `credentials_file`).
 */
async function apiTokens(dataDir: string): Promise<{ admin: string; alertmanager: string }> {
  const [{ StateDb }, { TokenStore }, { ensureTokenFile }, { systemClock }] = await Promise.all([
    import('../collector/state/state-db.js'),
    import('../collector/auth/token-store.js'),
    import('../collector/auth/token-file.js'),
    import('../common/clock.js'),
  ]);
  const files = { admin: join(dataDir, 'admin.token'), alertmanager: join(dataDir, 'alertmanager.token') };
  const state = new StateDb(join(dataDir, 'state.db'));
  try {
    const tokens = new TokenStore(state, systemClock);
    ensureTokenFile(tokens, 'admin', 'admin', files.admin);
    ensureTokenFile(tokens, 'alertmanager', 'alertmanager', files.alertmanager);
  } finally {
    state.close();
  }
  return files;
}

/** The example node's credentials (edgewatch nodes add): it logs in to the embedded broker and the log input with them. */
async function nodeCredentials(dataDir: string, name: string): Promise<{ name: string; password: string; sharedKey: string }> {
  const { openCredentials } = await import('../collector/auth/credentials-store.js');
  const store = await openCredentials(undefined, dataDir);
  try {
    const id = store.credentials.add(name, 'node');
    return { name, password: id.password, sharedKey: store.credentials.sharedKey() };
  } finally {
    store.close();
  }
}

/** Reads a YAML file of examples/start/ as a plain object. */
function readStartYaml(name: string): Record<string, unknown> {
  return (parseYaml(readFileSync(join(startDir, name), 'utf8')) as Record<string, unknown> | null) ?? {};
}

/**
 * The tasks with the example service moved from its port in the file (8081) to `port`: every task value
 * equal to 8081, and every ":8081" inside a string (URLs), so the file stays a plain exporter config.
 */
function moveServicePort(value: unknown, port: number): unknown {
  const from = PORTS.find((p) => p.key === 'service-port')!.fallback;
  if (value === from || value === String(from)) return typeof value === 'number' ? port : String(port);
  if (typeof value === 'string') return value.replaceAll(`:${from}`, `:${port}`);
  if (Array.isArray(value)) return value.map((v) => moveServicePort(v, port));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, moveServicePort(v, port)]));
  return value;
}

const section = (obj: Record<string, unknown>, key: string): Record<string, unknown> => ((obj[key] ??= {}) as Record<string, unknown>);

function collectorConfig(host: string, ports: Record<PortKey, number>, dataDir: string, keys: { privateKeyFile: string }) {
  const raw = readStartYaml('collector.yaml');
  section(raw, 'http').listen = `${host}:${ports.http}`;
  section(raw, 'forward').listen = `${host}:${ports.forward}`;
  // An external broker named in the file (mqtt.url) wins; otherwise the embedded one listens on --mqtt.
  const mqtt = section(raw, 'mqtt');
  if (!mqtt.url) mqtt.embedded = { listen: `${host}:${ports.mqtt}` };
  section(raw, 'store').path = join(dataDir, 'collector.db');
  section(raw, 'commands').privateKeyFile = keys.privateKeyFile;
  const rules = section(raw, 'rules');
  if (typeof rules.file === 'string') rules.file = resolve(startDir, rules.file);
  return loaders!.loadCollectorConfig(stringify(raw), join(startDir, 'collector.yaml'));
}

function exporterConfig(host: string, ports: Record<PortKey, number>, dataDir: string, collector: RunningCollector, node: { name: string; password: string; sharedKey: string }) {
  const raw = readStartYaml('exporter.yaml');
  raw.tasks = moveServicePort(raw.tasks, ports['service-port']);
  const local = host === '0.0.0.0' ? '127.0.0.1' : host;
  const brokerUrl = collector.brokerUrl();
  raw.http = { listen: `${host}:${ports.metrics}` };
  raw.node = node.name;
  raw.forward = { ...section(raw, 'forward'), address: `${local}:${collector.forwardPort}`, sharedKey: node.sharedKey, username: node.name, password: node.password };
  if (brokerUrl) raw.mqtt = { ...section(raw, 'mqtt'), url: brokerUrl, username: node.name, password: node.password };
  raw.commands = { publicKeyFile: join(dataDir, 'keys', 'command.pub') };
  raw.spool = { ...section(raw, 'spool'), dir: join(dataDir, 'exporter', 'spool') };
  raw.state = { dir: join(dataDir, 'exporter', 'state') };
  return loaders!.loadExporterConfig(stringify(raw), join(startDir, 'exporter.yaml'), undefined, startDir);
}

/** What the example service's scripted fault does, from its env (empty when it has none). */
function faultNote(config: ReturnType<typeof exporterConfig>): string {
  const env = config.tasks.find((t) => t.name === 'api')?.env ?? {};
  if (!env.FAULT_EVERY_SECONDS || env.FAULT_EVERY_SECONDS === '0') return '';
  return ` (answers ${env.FAULT_KIND === 'slow' ? 'slowly' : '500'} for ${env.FAULT_FOR_SECONDS ?? 60} s of every ${env.FAULT_EVERY_SECONDS} s)`;
}

function printBanner(io: Io, s: { fault: string; node: string; host: string; dataDir: string; tokenFile: string; collector: RunningCollector; exporterPort: number; servicePort: number; notes: string[] }): void {
  const shown = s.host === '0.0.0.0' ? '127.0.0.1' : s.host;
  const api = `http://${shown}:${s.collector.httpPort}`;
  const auth = `-H "Authorization: Bearer $(cat ${s.tokenFile})"`;
  const lines = [
    `edgewatch start: collector and exporter (node ${s.node}) running; data in ${s.dataDir}`,
    '',
    `  Console           ${api}/  (sign in with the admin token below)`,
    `  API               ${api}/api/  (incidents, nodes, logs, traces, commands, alertmanager)`,
    `  Incidents         ${api}/api/incidents`,
    `  Nodes             ${api}/api/nodes`,
    `  Admin token       ${s.tokenFile} (every /api call needs it: curl ${auth} ${api}/api/nodes)`,
    `  Collector metrics ${api}/metrics`,
    `  Exporter metrics  http://${shown}:${s.exporterPort}/metrics`,
    `  Log input         ${shown}:${s.collector.forwardPort} (Fluentd forward protocol)`,
    `  MQTT broker       ${s.collector.brokerUrl() ?? 'none'} (embedded)`,
    `  Example service   http://${shown}:${s.servicePort}/api/orders${s.fault}`,
    ...s.notes.map((n) => `  note: ${n}`),
    '',
    `When the fault comes, the consecutive-5xx rule opens an incident and the collector restarts task api: open ${api}/`,
    `Watch incidents:  while sleep 2; do curl -s ${auth} ${api}/api/incidents; echo; done`,
    "Prometheus: 'prometheus --config.file=alerts/prometheus/prometheus.yml' scrapes this (edgewatch start --help).",
    'Ctrl-C stops everything.',
    '',
  ];
  io.out(lines.join('\n'));
}
