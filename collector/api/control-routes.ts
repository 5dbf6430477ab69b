import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../common/clock.js';
import { formatIssues } from '../../common/config.js';
import { KeyedRate } from '../../common/keyed-rate.js';
import { COMMAND_TYPES } from '../../protocol/commands.js';
import { NAME_PATTERN } from '../../protocol/log-record.js';
import type { TaskStatusWire } from '../../protocol/telemetry.js';
import type { CommandDispatcher, CommandRecord } from '../control/command-dispatcher.js';
import type { CommandLog } from '../control/command-log.js';
import type { NodeRegistry, NodeState } from '../control/node-registry.js';
import type { AuditLog } from '../audit/audit-log.js';
import { roleForCommand } from '../auth/roles.js';
import { clientOf, principalOf, type ApiAccess } from './access.js';
import { readJsonObject } from './json-body.js';
import { nodePage, nodesQuerySchema } from './node-query.js';

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

/** A reported task with every literal env value redacted (exporters already do; this holds for older ones too). */
function redactTaskEnv(t: TaskStatusWire): TaskStatusWire {
  const env = t.spec?.env;
  if (!env || typeof env !== 'object') return t;
  const redacted = Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'object' && v !== null && 'valueFrom' in v ? v : { redacted: true }]));
  return { ...t, spec: { ...t.spec, env: redacted } };
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
    tasks: [...n.tasks.values()].map(redactTaskEnv),
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
    requestedBy: r.requestedBy ?? null,
  };
}

/** What the control routes use. */
export interface ControlRouteDeps {
  nodes: NodeRegistry;
  dispatcher: CommandDispatcher;
  commandLog: CommandLog;
  access: ApiAccess;
  audit: AuditLog;
  clock: Clock;
  limits: { commandsPerMinute: number; commandsBurst: number; maxWaitingCommands: number };
  /** Why this replica may not sign commands (a standby names the leader); undefined when it may. */
  notLeader?(): string | undefined;
}

/** Largest POST /api/commands body (an `apply` carries a task spec). */
const COMMAND_BODY_BYTES = 256 * 1024;

/** GET /api/nodes, POST /api/commands (on-call's manual "restart this now"), GET /api/commands/{id}. */
export function controlRoutes(d: ControlRouteDeps): Router {
  const router = Router();
  const perCaller = new KeyedRate(d.limits.commandsPerMinute, d.limits.commandsBurst);
  let waiting = 0;
  router.get('/api/nodes', (req, res) => {
    const parsed = nodesQuerySchema.safeParse(req.query);
    if (!parsed.success) return send(res, 400, { error: 'bad_request', message: formatIssues(parsed.error).join('; ') });
    const page = nodePage(d.nodes.all(), parsed.data);
    send(res, 200, { nodes: page.nodes.map((n) => nodeView(n, d.nodes.diagnosis(n))), summary: page.summary, next: page.next });
  });
  router.post('/api/commands', async (req, res, next) => {
    if (!d.access.allowed(res, 'operator', 'POST /api/commands')) return;
    const who = principalOf(res);
    const source = clientOf(req);
    let body: Record<string, unknown>;
    try {
      body = await readJsonObject(req, COMMAND_BODY_BYTES);
    } catch (err) {
      return next(err);
    }
    const parsed = commandBody.safeParse(body);
    if (!parsed.success) return send(res, 400, { error: 'bad_request', message: formatIssues(parsed.error).join('; ') });
    const b = parsed.data;
    const target = `${b.node}${b.task ? `/${b.task}` : ''}`;
    const audit = (outcome: string, detail?: Record<string, unknown>) => d.audit.record({ who: who.name, role: who.role, source, action: `command.${b.type}`, target, outcome, ...(detail ? { detail } : {}) });
    const needed = roleForCommand(b.type);
    if (!d.access.allowed(res, needed, b.type)) return audit('forbidden');
    if (b.type !== 'snapshot' && b.type !== 'apply' && !b.task) return send(res, 400, { error: 'bad_request', message: `task: required for ${b.type}` });
    if (b.type === 'apply' && !b.spec) return send(res, 400, { error: 'bad_request', message: 'spec: required for apply (a task spec as in the exporter config)' });
    const wait = perCaller.take(who.name, d.clock.now());
    if (wait > 0 || (b.wait && waiting >= d.limits.maxWaitingCommands)) {
      d.access.refused('rate_limited');
      audit('rate_limited');
      res.set('Retry-After', String(Math.max(1, wait)));
      return send(res, 429, { error: 'too_many_requests', message: wait > 0 ? `${who.name} may send ${d.limits.commandsPerMinute} commands a minute (http.limits.commandsPerMinute): retry in ${wait} s` : 'too many requests are waiting for command results: retry shortly, or send with "wait": false' });
    }
    const standby = d.notLeader?.();
    if (standby !== undefined) {
      audit('not_leader');
      return send(res, 503, { error: 'not_leader', message: standby });
    }
    const traceparent = typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined;
    const record = d.dispatcher.send({
      node: b.node,
      type: b.type,
      requestedBy: who.name,
      ...(b.task !== undefined ? { task: b.task } : {}),
      ...(b.version !== undefined ? { version: b.version } : {}),
      ...(b.spec !== undefined ? { spec: b.spec } : {}),
      ...(traceparent ? { traceparent } : {}),
    });
    audit('issued', { commandId: record.id });
    if (!b.wait) return send(res, 202, commandView(record));
    waiting++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), b.timeoutSeconds * 1000)));
    const final = await Promise.race([d.dispatcher.whenFinal(record.id), timeout]).finally(() => {
      waiting--;
      clearTimeout(timer);
    });
    send(res, final ? 200 : 202, commandView(final ?? record));
  });
  router.get('/api/commands/:id', (req, res) => {
    const r = d.dispatcher.get(req.params.id) ?? d.commandLog.get(req.params.id);
    if (!r) return send(res, 404, { error: 'not_found', message: `no command ${req.params.id}` });
    send(res, 200, commandView(r));
  });
  return router;
}
