import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { byteSize, formatIssues, hostPort, parseYamlConfig, readConfigFile } from '../common/config.js';
import { NAME_PATTERN } from '../protocol/log-record.js';

const name = (what: string) =>
  z.string().regex(NAME_PATTERN, `${what} must be lowercase letters, digits, "-" or "_", 1-63 characters, starting and ending with a letter or digit`);

const port = z.number().int().min(1).max(65535);
const argv = z.array(z.string().min(1)).min(1);

const probeCommon = {
  initialDelaySeconds: z.number().min(0).default(0),
  periodSeconds: z.number().min(1).default(10),
  timeoutSeconds: z.number().min(1).default(1),
  failureThreshold: z.number().int().min(1).default(3),
};

/** Kubernetes liveness probe: exactly one of httpGet, tcpSocket, exec. */
const livenessProbe = z
  .strictObject({
    httpGet: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port,
        path: z.string().startsWith('/').default('/'),
        scheme: z.enum(['HTTP', 'HTTPS']).default('HTTP'),
      })
      .optional(),
    tcpSocket: z.strictObject({ host: z.string().default('127.0.0.1'), port }).optional(),
    exec: z.strictObject({ command: argv }).optional(),
    ...probeCommon,
  })
  .refine((p) => [p.httpGet, p.tcpSocket, p.exec].filter(Boolean).length === 1, {
    message: 'set exactly one of httpGet, tcpSocket or exec',
  });

const backoff = z
  .strictObject({
    initialSeconds: z.number().min(0).default(10),
    maxSeconds: z.number().min(0).default(300),
    resetAfterSeconds: z.number().min(0).default(600),
  })
  .refine((b) => b.maxSeconds >= b.initialSeconds, { message: 'maxSeconds must be >= initialSeconds', path: ['maxSeconds'] });

const logFields = z
  .strictObject({
    time: z.string().optional(),
    level: z.string().optional(),
    msg: z.string().optional(),
    trace_id: z.string().optional(),
    span_id: z.string().optional(),
    status: z.string().optional(),
    duration_ms: z.string().optional(),
  })
  .default({});

const cronExpression = z.string().refine((s) => cron.validate(s), {
  message: 'must be a cron expression, e.g. "*/5 * * * *" (minute hour day month weekday; an optional leading seconds field)',
});

/** One supervised task, with Kubernetes-style keys (DESIGN.md, "Tasks on the edge"). */
export const taskSpecSchema = z.strictObject({
  name: name('name'),
  version: z.string().min(1).max(128).default('1'),
  command: argv,
  env: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
  cwd: z.string().optional(),
  restartPolicy: z.enum(['Always', 'OnFailure', 'Never']).optional(),
  backoff: backoff.default({ initialSeconds: 10, maxSeconds: 300, resetAfterSeconds: 600 }),
  terminationGracePeriodSeconds: z.number().min(0).default(30),
  livenessProbe: livenessProbe.optional(),
  resources: z
    .strictObject({ limits: z.strictObject({ memory: byteSize.optional() }).default({}) })
    .default({ limits: {} }),
  labels: z.record(z.string(), z.string()).default({}),
  /** Where the cloud may move this task (migration): node labels it needs, node taints it tolerates. */
  nodeSelector: z.record(z.string(), z.string()).default({}),
  tolerations: z
    .array(z.strictObject({ key: z.string().min(1), value: z.string().optional(), effect: z.enum(['NoSchedule', 'NoExecute']).optional() }))
    .default([]),
  schedule: cronExpression.optional(),
  backoffLimit: z.number().int().min(0).default(6),
  logs: z
    .strictObject({
      format: z.enum(['json', 'logfmt', 'text']).default('json'),
      fields: logFields,
      maxLineBytes: z.number().int().min(256).default(16384),
    })
    .default({ format: 'json', fields: {}, maxLineBytes: 16384 }),
});
export type TaskSpecInput = z.input<typeof taskSpecSchema>;
export type TaskSpec = z.output<typeof taskSpecSchema> & { restartPolicy: 'Always' | 'OnFailure' | 'Never' };

/** Applies defaults that depend on other keys: jobs default to OnFailure, services to Always (Kubernetes). */
export function finishTaskSpec(spec: z.output<typeof taskSpecSchema>): TaskSpec {
  return { ...spec, restartPolicy: spec.restartPolicy ?? (spec.schedule ? 'OnFailure' : 'Always') };
}

/** Validates one task spec (from the config file or an `apply` command). */
export function parseTaskSpec(raw: unknown): { ok: true; spec: TaskSpec } | { ok: false; error: string } {
  const r = taskSpecSchema.safeParse(raw, { reportInput: true });
  if (!r.success) return { ok: false, error: formatIssues(r.error).join('; ') };
  return { ok: true, spec: finishTaskSpec(r.data) };
}

/** The exporter configuration file (DESIGN.md, "Exporter config"). */
export const exporterConfigSchema = z
  .strictObject({
    node: name('node').optional(),
    http: z.strictObject({ listen: hostPort.default({ host: '0.0.0.0', port: 9464 }) }).default({ listen: { host: '0.0.0.0', port: 9464 } }),
    forward: z
      .strictObject({
        address: hostPort,
        sharedKey: z.string().min(1).optional(),
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
        heartbeatSeconds: z.number().min(1).default(10),
      })
      .optional(),
    commands: z.strictObject({ publicKeyFile: z.string().min(1) }).optional(),
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
    commands: cfg.commands && { publicKeyFile: resolve(baseDir, cfg.commands.publicKeyFile) },
    tasks: cfg.tasks.map((t) => resolveTaskCwd(finishTaskSpec(t), baseDir)),
  };
}

/** Reads and validates an exporter config file. */
export function loadExporterConfigFile(path: string): ExporterConfig {
  return loadExporterConfig(readConfigFile(path), path, hostname(), dirname(resolve(path)));
}
