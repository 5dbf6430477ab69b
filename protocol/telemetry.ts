import { z } from 'zod';
import { NAME_PATTERN } from './log-record.js';
import { EXIT_OUTCOMES, RESTART_REASONS, TASK_STATES } from './task-states.js';

/** A task as the edge reports it in state messages. */
export const taskStatusSchema = z.object({
  name: z.string(),
  version: z.string(),
  state: z.enum(TASK_STATES),
  pid: z.number().int().optional(),
  startedAt: z.number().optional(),
  restarts: z.number().int().nonnegative(),
  lastExit: z
    .object({ outcome: z.enum(EXIT_OUTCOMES), code: z.number().nullable(), signal: z.string().nullable(), at: z.number(), message: z.string().optional() })
    .optional(),
  lastRestartReason: z.enum(RESTART_REASONS).optional(),
  job: z.boolean(),
  labels: z.record(z.string(), z.string()).optional(),
  /** The task's full spec, so the cloud can run it elsewhere (migration). */
  spec: z.record(z.string(), z.unknown()).optional(),
  memoryLimitBytes: z.number().optional(),
});
export type TaskStatusWire = z.output<typeof taskStatusSchema>;

/** Periodic liveness and load of an edge node, on `edgewatch/<node>/heartbeat`. */
export const heartbeatSchema = z.object({
  node: z.string().regex(NAME_PATTERN),
  at: z.number().int().nonnegative(),
  /** Exporter start time: a change means the exporter restarted (not just the link). */
  bootId: z.string().max(64),
  load: z.object({
    /** Share of one core used by the node's tasks and the exporter, 0..N. */
    cpu: z.number().nonnegative(),
    /** Bytes of memory used on the node (tasks' RSS and the exporter). */
    memoryBytes: z.number().nonnegative(),
    /** Total memory of the node. */
    memoryTotalBytes: z.number().nonnegative(),
    tasks: z.number().int().nonnegative(),
    spoolRecords: z.number().int().nonnegative(),
    spoolBytes: z.number().int().nonnegative(),
  }),
  /** Round trip of the previous heartbeat through the broker, ms. */
  linkLatencyMs: z.number().nonnegative().optional(),
  labels: z.record(z.string(), z.string()).default({}),
  taints: z.array(z.object({ key: z.string(), value: z.string().optional(), effect: z.enum(['NoSchedule', 'NoExecute']) })).default([]),
  /** How many tasks the node accepts (placement capacity). */
  maxTasks: z.number().int().nonnegative().default(64),
  epoch: z.number().int().nonnegative(),
  version: z.string().max(64),
  /** The edge rule set the node runs (absent: edge rules off, or an exporter from before them). */
  rules: z.object({ version: z.number().int().nonnegative(), digest: z.string().max(16), source: z.enum(['cloud', 'pinned', 'none']) }).optional(),
});
export type Heartbeat = z.output<typeof heartbeatSchema>;

/** Task state changes with a per-node sequence number, on `edgewatch/<node>/state`; a gap asks for a snapshot. */
export const stateMessageSchema = z.object({
  node: z.string().regex(NAME_PATTERN),
  bootId: z.string().max(64),
  seq: z.number().int().nonnegative(),
  at: z.number().int().nonnegative(),
  kind: z.enum(['delta', 'snapshot']),
  tasks: z.array(taskStatusSchema).max(1024),
  /** Tasks removed since the previous message (delta only). */
  removed: z.array(z.string()).max(1024).default([]),
});
export type StateMessage = z.output<typeof stateMessageSchema>;

/** Retained on `edgewatch/<node>/status`; the broker publishes `offline` as the Last Will. */
export const NODE_STATUS = ['online', 'offline'] as const;
