import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { byteSize, hostPort, parseYamlConfig, readConfigFile } from '../common/config.js';
import { COMMAND_TYPES, DEFAULT_ALLOWED_COMMANDS } from '../protocol/commands.js';
import { finishTaskSpec, name, taskSpecSchema, type TaskSpec } from '../protocol/task-spec.js';
import { edgeRulesSchema, resolveEdgeRules } from './edge/edge-config.js';

export { finishTaskSpec, parseTaskSpec, taskSpecSchema, type TaskSpec, type TaskSpecInput } from '../protocol/task-spec.js';

/** The exporter configuration file (DESIGN.md, "Exporter config"). */
export const exporterConfigSchema = z
  .strictObject({
    node: name('node').optional(),
    http: z.strictObject({ listen: hostPort.default({ host: '127.0.0.1', port: 9464 }) }).default({ listen: { host: '127.0.0.1', port: 9464 } }),
    forward: z
      .strictObject({
        address: hostPort,
        /** More collector replicas' forward inputs (an HA pair): tried in turn after the current one refuses or fails. */
        failover: z.array(hostPort).default([]),
        sharedKey: z.string().min(1).optional(),
        /** Node credentials for the collector's forward input (`edgewatch nodes add`): user and password. */
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
        /** Or the password (and shared key) read from files, so the config holds no secret. */
        passwordFile: z.string().min(1).optional(),
        sharedKeyFile: z.string().min(1).optional(),
        tls: z.boolean().default(false),
        flushIntervalMs: z.number().int().min(1).default(1),
        batchRecords: z.number().int().min(1).max(100000).default(5000),
        ackTimeoutMs: z.number().int().min(100).default(10000),
        retryMaxSeconds: z.number().min(1).default(30),
      })
      .optional(),
    mqtt: z
      .strictObject({
        url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, 'must be a URL like "mqtt://host:1883"'),
        username: z.string().optional(),
        password: z.string().optional(),
        passwordFile: z.string().min(1).optional(),
        heartbeatSeconds: z.number().min(1).default(10),
      })
      .optional(),
    commands: z
      .strictObject({
        publicKeyFile: z.string().min(1).optional(),
        /** Command types this node executes; `apply` (run a new spec sent from the cloud) only when listed. */
        allow: z.array(z.enum(COMMAND_TYPES)).default([...DEFAULT_ALLOWED_COMMANDS]),
        /** With `apply` allowed: the executables an applied spec may run (its command[0]); absent = any. */
        allowExecutables: z.array(z.string().min(1)).optional(),
      })
      .default({ allow: [...DEFAULT_ALLOWED_COMMANDS] }),
    labels: z.record(z.string(), z.string()).default({}),
    taints: z.array(z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(['NoSchedule', 'NoExecute']) })).default([]),
    capacity: z.strictObject({ tasks: z.number().int().min(0).default(64) }).default({ tasks: 64 }),
    spool: z
      .strictObject({
        dir: z.string().min(1).default('./data/spool'),
        maxBytes: byteSize.default(256 * 1024 * 1024),
        drainRecordsPerSecond: z.number().int().min(1).default(10000),
      })
      .default({ dir: './data/spool', maxBytes: 256 * 1024 * 1024, drainRecordsPerSecond: 10000 }),
    state: z.strictObject({ dir: z.string().min(1).default('./data/state') }).default({ dir: './data/state' }),
    history: z.strictObject({ versions: z.number().int().min(1).max(100).default(5) }).default({ versions: 5 }),
    metrics: z
      .strictObject({
        summaryMaxAgeSeconds: z.number().int().min(10).default(600),
        summaryAgeBuckets: z.number().int().min(1).max(60).default(5),
        sampleIntervalSeconds: z.number().min(0.1).default(1),
      })
      .default({ summaryMaxAgeSeconds: 600, summaryAgeBuckets: 5, sampleIntervalSeconds: 1 }),
    rules: edgeRulesSchema,
    tasks: z.array(taskSpecSchema).max(256).default([]),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.tasks.forEach((t, i) => {
      if (seen.has(t.name)) {
        ctx.addIssue({ code: 'custom', path: ['tasks', i, 'name'], message: `duplicate task name "${t.name}" (also tasks[${seen.get(t.name)}])` });
      }
      seen.set(t.name, i);
      if (t.schedule && t.restartPolicy === 'Always') {
        ctx.addIssue({ code: 'custom', path: ['tasks', i, 'schedule'], message: 'a job (schedule) must use restartPolicy OnFailure or Never' });
      }
    });
  });

export type ExporterConfig = Omit<z.output<typeof exporterConfigSchema>, 'node' | 'tasks'> & {
  node: string;
  tasks: TaskSpec[];
  /** The config file's folder: relative paths (also in specs applied later) resolve against it. */
  baseDir: string;
};

/** A task's working directory: relative paths (and no cwd at all) resolve against the config file's folder. */
export function resolveTaskCwd(spec: TaskSpec, baseDir: string): TaskSpec {
  return { ...spec, cwd: resolve(baseDir, spec.cwd ?? '.') };
}

/**
 * Parses and validates exporter YAML; throws ConfigError with one `path: fix` line per problem.
 * Relative paths (spool, state, key file, task working directories) resolve against `baseDir`,
 * the config file's folder, so a config means the same whatever directory it is started from.
 */
export function loadExporterConfig(text: string, file?: string, defaultNode = hostname(), baseDir = process.cwd()): ExporterConfig {
  const cfg = parseYamlConfig(exporterConfigSchema, text, file);
  const node = cfg.node ?? defaultNode.toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 63);
  return {
    ...cfg,
    node,
    baseDir,
    spool: { ...cfg.spool, dir: resolve(baseDir, cfg.spool.dir) },
    state: { dir: resolve(baseDir, cfg.state.dir) },
    rules: resolveEdgeRules(cfg.rules, baseDir),
    commands: { ...cfg.commands, ...(cfg.commands.publicKeyFile ? { publicKeyFile: resolve(baseDir, cfg.commands.publicKeyFile) } : {}) },
    ...(cfg.forward ? { forward: { ...cfg.forward, ...resolved(cfg.forward, ['passwordFile', 'sharedKeyFile'], baseDir) } } : {}),
    ...(cfg.mqtt ? { mqtt: { ...cfg.mqtt, ...resolved(cfg.mqtt, ['passwordFile'], baseDir) } } : {}),
    tasks: cfg.tasks.map((t) => resolveTaskCwd(finishTaskSpec(t), baseDir)),
  };
}

/** The named path keys of `o` resolved against `baseDir` (only those set). */
function resolved<T extends object>(o: T, keys: Array<keyof T>, baseDir: string): Partial<T> {
  const out: Partial<T> = {};
  for (const k of keys) if (typeof o[k] === 'string') out[k] = resolve(baseDir, o[k] as string) as T[keyof T];
  return out;
}

/** Reads and validates an exporter config file. */
export function loadExporterConfigFile(path: string): ExporterConfig {
  return loadExporterConfig(readConfigFile(path), path, hostname(), dirname(resolve(path)));
}
