import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { alertmanagerInputConfigSchema } from './api/alertmanager-route.js';
import { notifyConfigSchema } from './notify/notify-config.js';
import { byteSize, hostPort, parseYamlConfig, readConfigFile } from '../common/config.js';
import { ROLES } from './auth/roles.js';
import { clusterConfigSchema, postgresSchema, postgresUrl } from './cluster/cluster-config.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;


/** Limits that keep one bad or hostile forward client from hurting the others (docs.fluentd.org, input/forward). */
const forwardLimits = z
  .strictObject({
    maxFrameBytes: byteSize.default(16 * MiB),
    maxDecompressedBytes: byteSize.default(64 * MiB),
    maxDepth: z.number().int().min(4).max(256).default(32),
    maxConnections: z.number().int().min(1).default(10_000),
    /** Open connections from one address (a flood of idle sockets from one host cannot lock the fleet out). */
    maxConnectionsPerPeer: z.number().int().min(1).default(256),
    handshakeTimeoutSeconds: z.number().min(0.1).default(10),
    /** A connection must send its first frame (or PING) within this, handshake or not. */
    firstFrameTimeoutSeconds: z.number().min(0.1).default(10),
    /** A frame must arrive whole within this of its first byte (a trickling sender is cut off). */
    frameTimeoutSeconds: z.number().min(0.1).default(30),
    /** Entries one frame may carry once decoded (a small gzip frame of tiny entries cannot become millions). */
    maxEntriesPerFrame: z.number().int().min(1).default(100_000),
    /** Records per second one connection is served at; faster senders are slowed (their acks wait), not refused. */
    recordsPerSecondPerConnection: z.number().min(1).default(200_000),
    /** Bytes of partial frames held over all connections; past it the largest holder is cut off. */
    maxBufferedBytes: byteSize.default(256 * MiB),
    idleTimeoutSeconds: z.number().min(1).default(600),
  })
  .prefault({});

const forwardUser = z.strictObject({
  username: z.string().min(1),
  password: z.string().min(1),
});

const forward = z
  .strictObject({
    listen: hostPort.default({ host: '127.0.0.1', port: 24224 }),
    /**
     * Senders log in with node credentials (`edgewatch nodes add`): the shared-key handshake with a user
     * name and password, and a node may only send `edgewatch.<its name>.*` tags. Off, any sender that
     * reaches the port is taken (and `forward.sharedKey`, if set, is the only check).
     */
    nodeAuth: z.boolean().default(true),
    sharedKey: z.string().min(1).optional(),
    selfHostname: z.string().min(1).default('edgewatch-collector'),
    users: z.array(forwardUser).default([]),
    tls: z.strictObject({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
    heartbeat: z.boolean().default(true),
    limits: forwardLimits,
  })
  .refine((f) => f.users.length === 0 || f.sharedKey !== undefined || f.nodeAuth, {
    message: 'users need the shared_key handshake: set forward.sharedKey as well (or nodeAuth: true)',
    path: ['users'],
  })
  .prefault({});

const mqtt = z
  .strictObject({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be a URL like "mqtt://host:1883"').optional(),
    embedded: z
      .strictObject({
        listen: hostPort.default({ host: '127.0.0.1', port: 1883 }),
        /** Largest MQTT packet a client may send; a larger one closes its connection. */
        maxPacketBytes: byteSize.default(1024 * 1024),
      })
      .optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    /** The password read from a file (an external broker), so the config holds no secret. */
    passwordFile: z.string().min(1).optional(),
    clientId: z.string().min(1).max(64).default('edgewatch-collector'),
  })
  .refine((m) => !(m.url && m.embedded), { message: 'set mqtt.url (an external broker) or mqtt.embedded (the built-in one), not both' })
  .transform((m) => (m.url || m.embedded ? m : { ...m, embedded: { listen: { host: '127.0.0.1', port: 1883 }, maxPacketBytes: 1024 * 1024 } }))
  .prefault({});

const retention = z
  .strictObject({
    maxAgeHours: z.number().min(0.001).default(168),
    maxBytes: byteSize.default(10 * GiB),
    checkIntervalSeconds: z.number().min(1).default(60),
  })
  .prefault({});

const store = z
  .strictObject({
    path: z.string().min(1).default('./data/collector.db'),
    /** PostgreSQL (`postgres://...`) for logs, state and the webhook outbox instead of SQLite files; needed for `cluster`. */
    url: postgresUrl.optional(),
    /** The PostgreSQL schema of the tables (created at start); the connection's default when unset. */
    schema: postgresSchema.optional(),
    synchronous: z.enum(['normal', 'full']).default('normal'),
    segmentRecords: z.number().int().min(100).default(200_000),
    dedupWindowHours: z.number().min(0.001).default(24),
    /** Chunks arriving within this many ms share one transaction (group commit); each is acked after it. */
    groupCommitMs: z.number().min(0).max(1000).default(20),
    retention,
  })
  .prefault({});

/** The default rule set shipped in alerts/ (used when `rules.file` is not set). */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../../alerts/collector-rules.yml', import.meta.url));

/**
 * Every file the collector reads or writes, resolved once: the store, and beside it (unless set) the
 * state DB, the webhook outbox and the generated command key. `:memory:` keeps the databases in memory.
 */
export interface CollectorPaths {
  store: string;
  state: string;
  outbox: string;
  /** The signing key: `commands.privateKeyFile`, or `keys/command.key` beside the store. */
  commandKey: string;
  /** Set when the key is not configured: the directory where a pair is generated on first start. */
  generatedKeysDir?: string;
  /** The node-credential key: `nodes.credentialsKeyFile`, or `keys/node-credentials.key` beside the store. */
  nodeKey: string;
  rules: string;
  /** The config key that decides each path, for messages that say what to change. */
  keys: Record<'store' | 'state' | 'outbox' | 'commandKey' | 'rules', string>;
}

function pathsOf(c: z.output<typeof collectorConfigBase>): CollectorPaths {
  const memory = c.store.path === ':memory:';
  const beside = (name: string) => (memory ? ':memory:' : join(dirname(c.store.path), name));
  const keysDir = join(dirname(c.store.path), 'keys');
  return {
    store: c.store.path,
    state: beside('state.db'),
    outbox: c.notify.outboxPath ?? beside('notify-outbox.db'),
    commandKey: c.commands.privateKeyFile ?? join(keysDir, 'command.key'),
    ...(c.commands.privateKeyFile ? {} : { generatedKeysDir: keysDir }),
    nodeKey: c.nodes.credentialsKeyFile ?? (memory ? ':memory:' : join(keysDir, 'node-credentials.key')),
    rules: c.rules.file ?? DEFAULT_RULES_FILE,
    keys: {
      store: 'store.path',
      state: 'store.path (state.db beside it)',
      outbox: c.notify.outboxPath ? 'notify.outboxPath' : 'store.path (notify-outbox.db beside it)',
      commandKey: c.commands.privateKeyFile ? 'commands.privateKeyFile' : 'commands.privateKeyFile (unset: keys/command.key beside store.path)',
      rules: c.rules.file ? 'rules.file' : 'rules.file (unset: the default rules)',
    },
  };
}

const collectorConfigBase = z.strictObject({
  http: z
    .strictObject({
      listen: hostPort.default({ host: '127.0.0.1', port: 8080 }),
      /** TLS and basic-auth users in Prometheus' web config format (`--web.config.file`). */
      webConfigFile: z.string().min(1).optional(),
      /** Roles of the web config's basic-auth users; a user not listed is a viewer. */
      basicAuthRoles: z.record(z.string(), z.enum(ROLES)).default({}),
      /** Require a viewer's credentials on /metrics as well. */
      metricsAuth: z.boolean().default(false),
      limits: z
        .strictObject({
          /** Commands each caller may send per minute (POST /api/commands), and at once. */
          commandsPerMinute: z.number().min(0.1).default(60),
          commandsBurst: z.number().int().min(1).default(20),
          /** Requests waiting for a command's final ack at once, over all callers. */
          maxWaitingCommands: z.number().int().min(1).default(200),
          /** Failed logins per client address per minute, and at once, before it is refused with 429. */
          loginFailuresPerMinute: z.number().min(0.1).default(10),
          loginFailuresBurst: z.number().int().min(1).default(10),
        })
        .prefault({}),
    })
    .prefault({}),
  forward,
  mqtt,
  commands: z
    .strictObject({
      privateKeyFile: z.string().min(1).optional(),
      ttlSeconds: z.number().min(5).default(300),
      ackTimeoutSeconds: z.number().min(0.5).default(5),
      maxAttempts: z.number().int().min(1).max(20).default(3),
    })
    .prefault({}),
  nodes: z
    .strictObject({
      leaseSeconds: z.number().min(1).default(30),
      /** The key node and forward credentials are derived from (`edgewatch nodes add`); made on first start. */
      credentialsKeyFile: z.string().min(1).optional(),
    })
    .prefault({}),
  rules: z.strictObject({ file: z.string().min(1).optional() }).prefault({}),
  /** The fleet's desired tasks per node (what migration may move); also set with PUT /api/specs. */
  desired: z.strictObject({ file: z.string().min(1).optional() }).prefault({}),
  remediation: z
    .strictObject({
      /** Record what would have been done ("would have restarted") without sending commands. */
      dryRun: z.boolean().default(false),
      verifySeconds: z.number().min(0.1).default(30),
      cooldownSeconds: z.number().min(0).default(300),
      ratePerMinute: z.number().min(0.01).default(30),
      burst: z.number().int().min(1).default(10),
      breaker: z
        .strictObject({
          openShare: z.number().gt(0).max(1).default(0.5),
          closeShare: z.number().min(0).max(1).default(0.3),
          minNodes: z.number().int().min(1).default(3),
        })
        .prefault({})
        .refine((b) => b.closeShare <= b.openShare, { message: 'closeShare must be <= openShare', path: ['closeShare'] }),
      flap: z.strictObject({ maxIncidents: z.number().int().min(1).default(3), windowMinutes: z.number().min(1).default(30) }).prefault({}),
      migrationTimeoutSeconds: z.number().min(1).default(120),
      /** New incidents opened per minute at most (an alert flood must not bury the real ones). */
      maxNewIncidentsPerMinute: z.number().min(1).default(120),
      /**
       * A rule scoped `both` that fires here waits this long before it opens an incident, for the node's
       * claim: a node that handled the fault itself while its link was down reports it when the link
       * returns, and its claim fences the collector's action (one restart, not two).
       */
      edgeClaimGraceSeconds: z.number().min(0).max(60).default(3),
    })
    .prefault({}),
  notify: notifyConfigSchema,
  alertmanager: alertmanagerInputConfigSchema,
  /** The web console at `/` (incidents, traces, nodes, commands), served from the HTTP API's port. */
  console: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Grafana's base URL: incident and task pages link the shipped task dashboard there. None by default. */
      grafanaUrl: z
        .string()
        .regex(/^https?:\/\/[^\s"'<>`]+$/, 'must be Grafana\'s base URL, e.g. "http://grafana:3000" (http or https, no spaces or quotes)')
        .optional(),
      /** A signed-in browser without a request for this long must sign in again. */
      sessionIdleMinutes: z.number().min(1).max(10_080).default(120),
      /** A session ends this long after sign-in, used or not. */
      sessionMaxHours: z.number().min(0.1).max(720).default(12),
      /** Sessions held at once; signing in past it ends the oldest. */
      maxSessions: z.number().int().min(1).max(100_000).default(1000),
    })
    .prefault({}),
  store,
  cluster: clusterConfigSchema,
});

/** The collector configuration file (DESIGN.md, "Collector config"), with its {@link CollectorPaths}. */
export const collectorConfigSchema = collectorConfigBase.transform((c) => ({ ...c, paths: pathsOf(c) }));

export type CollectorConfig = z.output<typeof collectorConfigSchema>;
export type ForwardConfig = CollectorConfig['forward'];
export type StoreConfig = CollectorConfig['store'];

/** Parses and validates collector YAML; throws ConfigError with one `path: fix` line per problem. */
export function loadCollectorConfig(text: string, file?: string): CollectorConfig {
  return parseYamlConfig(collectorConfigSchema, text, file);
}

/** Reads and validates a collector config file. */
export function loadCollectorConfigFile(path: string): CollectorConfig {
  return loadCollectorConfig(readConfigFile(path), path);
}
