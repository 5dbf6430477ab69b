import express, { Router, type Response } from 'express';
import { z } from 'zod';
import { formatIssues } from '../../common/config.js';
import { COMMAND_TYPES } from '../../protocol/commands.js';
import { NAME_PATTERN } from '../../protocol/log-record.js';
import type { CommandDispatcher, CommandRecord } from '../control/command-dispatcher.js';
import type { CommandLog } from '../control/command-log.js';
import type { NodeRegistry, NodeState } from '../control/node-registry.js';

const commandBody = z.strictObject({
  node: z.string().regex(NAME_PATTERN, 'must be a node name'),
  type: z.enum(COMMAND_TYPES),
  task: z.string().regex(NAME_PATTERN, 'must be a task name').optional(),
  version: z.string().min(1).max(128).optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
  /** Wait for the final ack (default), or answer 202 at once. */
  wait: z.boolean().default(true),
  timeoutSeconds: z.number().min(0.1).max(600).default(30),
});

function send(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** The public view of a node (GET /api/nodes). */
export function nodeView(n: NodeState, diagnosis: string) {
  return {
    node: n.node,
    status: n.status,
    statusSince: iso(n.statusSinceMs),
    lastHeartbeat: iso(n.lastHeartbeatMs),
    lastLog: iso(n.lastLogMs),
    diagnosis,
    bootId: n.bootId ?? null,
    epoch: n.epoch ?? null,
    linkLatencyMs: n.linkLatencyMs ?? null,
    load: n.load ?? null,
    labels: n.labels,
    tasks: [...n.tasks.values()],
  };
}

/** The public view of a command (POST /api/commands, GET /api/commands/{id}). */
export function commandView(r: CommandRecord) {
  return {
    id: r.id,
    node: r.node,
    type: r.type,
    task: r.task ?? null,
    version: r.version ?? null,
    status: r.status,
    reason: r.reason ?? null,
    issuedAt: iso(r.issuedAt),
    expiresAt: iso(r.expiresAt),
    finishedAt: iso(r.finishedAt),
    epoch: r.epoch,
    traceId: r.traceparent.split('-')[1],
    attempts: r.attempts,
    acks: r.acks,
  };
}

/** GET /api/nodes, POST /api/commands (on-call's manual "restart this now"), GET /api/commands/{id}. */
export function controlRoutes(control: { nodes: NodeRegistry; dispatcher: CommandDispatcher; commandLog: CommandLog }): Router {
  const router = Router();
  router.get('/api/nodes', (_req, res) => {
    send(res, 200, { nodes: control.nodes.list().map((n) => nodeView(n, control.nodes.diagnosis(n))) });
  });
  router.post('/api/commands', express.json({ limit: '256kb' }), async (req, res) => {
    const parsed = commandBody.safeParse(req.body ?? {});
    if (!parsed.success) return send(res, 400, { error: 'bad_request', message: formatIssues(parsed.error).join('; ') });
    const b = parsed.data;
    if (b.type !== 'snapshot' && b.type !== 'apply' && !b.task) return send(res, 400, { error: 'bad_request', message: `task: required for ${b.type}` });
    if (b.type === 'apply' && !b.spec) return send(res, 400, { error: 'bad_request', message: 'spec: required for apply (a task spec as in the exporter config)' });
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    const record = control.dispatcher.send({
      node: b.node,
      type: b.type,
      ...(b.task !== undefined ? { task: b.task } : {}),
      ...(b.version !== undefined ? { version: b.version } : {}),
      ...(b.spec !== undefined ? { spec: b.spec } : {}),
      ...(traceparent ? { traceparent } : {}),
    });
    if (!b.wait) return send(res, 202, commandView(record));
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), b.timeoutSeconds * 1000).unref());
    const final = await Promise.race([control.dispatcher.whenFinal(record.id), timeout]);
    send(res, final ? 200 : 202, commandView(final ?? record));
  });
  router.get('/api/commands/:id', (req, res) => {
    const r = control.dispatcher.get(req.params.id) ?? control.commandLog.get(req.params.id);
    if (!r) return send(res, 404, { error: 'not_found', message: `no command ${req.params.id}` });
    send(res, 200, commandView(r));
  });
  return router;
}
