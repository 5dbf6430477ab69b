import cron from 'node-cron';
import { z } from 'zod';
import { byteSize, formatIssues } from '../common/config.js';
import { NAME_PATTERN } from './log-record.js';

/**
 * The task spec (DESIGN.md, "Tasks on the edge"): what an exporter's config declares, what an `apply`
 * command carries, and what the collector records as a task's desired state. Validated the same way on
 * both sides.
 */

/** A secret's value read on the node when the task starts (`env: {DB_PASSWORD: {valueFrom: {file: ...}}}`). */
export interface EnvFromFile {
  valueFrom: { file: string };
}

/** One environment value of a task spec: a literal, or a file on the node that holds it. */
export type EnvValue = string | EnvFromFile;

/**
 * `env` values in a task spec: a literal, or `{valueFrom: {file: /absolute/path}}` read on the node. A
 * value reported by a node (state messages, /api/nodes) arrives redacted (`{redacted: true}`): applying
 * it elsewhere is refused with the way out, since secrets must come from the node that runs the task.
 */
export const envValueSchema = z.unknown().transform((v, ctx): EnvValue => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  const o = v as { valueFrom?: { file?: unknown }; redacted?: unknown } | null;
  if (o && typeof o === 'object' && o.redacted === true) {
    ctx.addIssue({ code: 'custom', message: 'this value was redacted in a node report and cannot be applied: give it again, or reference the secret with {valueFrom: {file: /path/on/the/node}}' });
    return z.NEVER;
  }
  const file = o && typeof o === 'object' && Object.keys(o).length === 1 && o.valueFrom && typeof o.valueFrom === 'object' && Object.keys(o.valueFrom).length === 1 ? o.valueFrom.file : undefined;
  if (typeof file === 'string' && file.startsWith('/')) return { valueFrom: { file } };
  ctx.addIssue({ code: 'custom', message: 'must be a string, number or boolean, or {valueFrom: {file: /absolute/path/on/the/node}}' });
  return z.NEVER;
});

/** A node or task name, with the message that says what is allowed. */
export const name = (what: string) =>
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
  /** Literals, or secrets read on the node when the task starts: `{valueFrom: {file: /path}}`. */
  env: z.record(z.string(), envValueSchema).default({}),
  /** A `KEY=VALUE` file on the node read when the task starts (before `env`). */
  envFile: z.string().refine((p) => p.startsWith('/'), { message: 'must be an absolute path on the node' }).optional(),
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

