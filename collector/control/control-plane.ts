import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import { MqttBus } from '../../common/adapters/mqtt-bus.js';
import { every, type Clock, type Timers } from '../../common/clock.js';
import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import { ackSchema, loadSigningKey } from '../../protocol/commands.js';
import { heartbeatSchema, stateMessageSchema } from '../../protocol/telemetry.js';
import { fleetTopics, parseTopic } from '../../protocol/topics.js';
import { EmbeddedBroker } from '../adapters/embedded-broker.js';
import type { CollectorConfig } from '../config.js';
import type { InternalRecord } from '../pipeline/internal-events.js';
import type { Signal } from '../rules/signals.js';
import { EpochStore, type StateDb } from '../state/state-db.js';
import { CommandDispatcher, type CommandRecord } from './command-dispatcher.js';
import { CommandLog } from './command-log.js';
import { ControlPlaneMetrics } from './control-metrics.js';
import { NodeRegistry } from './node-registry.js';

/** What the control plane needs from the collector's composition root. */
export interface ControlPlaneDeps {
  clock: Clock & Timers;
  registry: Registry;
  logger: Logger;
  state: StateDb;
  /** Writes the collector's own records (commands) into the store, for `/api/traces`. */
  writeInternal(records: InternalRecord[]): Promise<void>;
  /** Heartbeats, task states and restarts, for the rule engine. */
  onSignals(signals: Signal[]): void;
  /** Called every second with the current time (leases, rule timers). */
  onTick(now: number): void;
  /** A command reached a final status (remediation follows its steps through this). */
  onCommandFinished?(record: CommandRecord): void;
}

/** The command signing key: the configured file, or one generated beside the store on first start. */
function signingKey(config: CollectorConfig, logger: Logger) {
  let file = config.commands.privateKeyFile;
  if (!file) {
    const dir = join(dirname(config.store.path), 'keys');
    file = join(dir, 'command.key');
    if (!existsSync(file)) {
      mkdirSync(dir, { recursive: true });
      const pair = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
      writeFileSync(file, pair.privateKey, { mode: 0o600 });
      writeFileSync(join(dir, 'command.pub'), pair.publicKey);
      logger.warn('commands.privateKeyFile is not set: generated a command key pair; give every exporter the public key', { publicKeyFile: join(dir, 'command.pub') });
    }
  }
  return loadSigningKey(readFileSync(file, 'utf8'));
}

function parse<S extends z.ZodType>(schema: S, payload: Buffer): z.output<S> | undefined {
  try {
    const r = schema.safeParse(JSON.parse(payload.toString('utf8')));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The collector end of the control channel: node liveness from status, heartbeats and the state stream,
 * signed commands out with ack tracking, and an embedded broker when no external one is configured.
 */
export function createControlPlane(config: CollectorConfig, deps: ControlPlaneDeps) {
  const log = deps.logger.child({ component: 'control' });
  const clock = deps.clock;
  const embedded = config.mqtt.embedded ? new EmbeddedBroker(config.mqtt.embedded.listen, log) : undefined;
  let bus: MqttBus | undefined;
  const nodes = new NodeRegistry(config.nodes.leaseSeconds * 1000);
  const epochs = new EpochStore(deps.state);
  const metrics = new ControlPlaneMetrics(deps.registry, nodes);
  const commandLog = new CommandLog(deps.state);
  const lastSnapshotAsk = new Map<string, number>();
  const busProxy = {
    get connected() {
      return bus?.connected ?? false;
    },
    publish: (t: string, p: string | Buffer, o?: { qos?: 0 | 1; retain?: boolean }) => (bus ? bus.publish(t, p, o) : Promise.reject(new Error('control channel not started'))),
    subscribe: async () => undefined,
    onConnection: () => undefined,
    close: async () => undefined,
  };
  const dispatcher = new CommandDispatcher(
    {
      bus: busProxy,
      key: signingKey(config, log),
      epoch: (node) => epochs.epoch(node),
      isOnline: (node) => nodes.get(node)?.status === 'online',
      clock,
      newId: () => randomUUID(),
      randomHex: (n) => randomBytes(n).toString('hex'),
      logger: log,
      changed(record) {
        commandLog.save(record);
        const final = record.status !== 'pending' && record.status !== 'accepted';
        if (final) {
          metrics.finished(record.type, record.status);
          deps.onCommandFinished?.(record);
        }
        if (record.status === 'accepted') return;
        const traceId = record.traceparent.split('-')[1];
        const what = `command ${record.type}${record.task ? ` ${record.task}` : ''} on ${record.node}`;
        const entry: InternalRecord = {
          timeMs: clock.now(),
          level: record.status === 'done' || record.status === 'pending' ? 'info' : 'warn',
          msg: record.status === 'pending' ? `${what} issued` : `${what} ${record.status}${record.reason ? `: ${record.reason}` : ''}`,
          node: record.node,
          attrs: { command_id: record.id, command_type: record.type, status: record.status, ...(record.task ? { task: record.task } : {}) },
          ...(traceId ? { trace_id: traceId } : {}),
        };
        deps.writeInternal([entry]).catch((err) => log.warn('could not record command event', { err }));
      },
    },
    { ttlMs: config.commands.ttlSeconds * 1000, ackTimeoutMs: config.commands.ackTimeoutSeconds * 1000, maxAttempts: config.commands.maxAttempts },
  );

  const askSnapshot = (node: string, now: number) => {
    if ((lastSnapshotAsk.get(node) ?? -Infinity) > now - 10_000) return;
    lastSnapshotAsk.set(node, now);
    dispatcher.send({ node, type: 'snapshot' });
  };

  const handle = (topic: string, payload: Buffer) => {
    const t = parseTopic(topic);
    if (!t || t.kind === 'commands') return;
    const now = clock.now();
    const reject = () => {
      metrics.rejectedMessage(t.kind);
      log.warn('invalid control message', { topic, bytes: payload.length });
    };
    if (t.kind === 'status') {
      nodes.status(t.node, payload.toString('utf8'), now);
      return;
    }
    if (t.kind === 'heartbeat') {
      const hb = parse(heartbeatSchema, payload);
      if (!hb || hb.node !== t.node) return reject();
      epochs.observe(hb.node, hb.epoch);
      deps.onSignals([nodes.heartbeat(hb, now)]);
      return;
    }
    if (t.kind === 'state') {
      const msg = parse(stateMessageSchema, payload);
      if (!msg || msg.node !== t.node) return reject();
      const r = nodes.state(msg, now);
      if (r.needSnapshot) askSnapshot(msg.node, now);
      if (r.signals.length > 0) deps.onSignals(r.signals);
      return;
    }
    const ack = parse(ackSchema, payload);
    if (!ack || ack.node !== t.node) return reject();
    dispatcher.onAck(ack);
  };

  let stopTick: (() => void) | undefined;
  const component: Component = {
    name: 'control',
    async start() {
      if (embedded) await embedded.start();
      bus = new MqttBus(
        {
          url: config.mqtt.url ?? embedded!.url,
          clientId: config.mqtt.clientId,
          ...(config.mqtt.username !== undefined ? { username: config.mqtt.username } : {}),
          ...(config.mqtt.password !== undefined ? { password: config.mqtt.password } : {}),
        },
        log,
      );
      for (const filter of Object.values(fleetTopics)) await bus.subscribe(filter, handle);
      await bus.start();
      stopTick = every(clock, 1000, () => {
        const now = clock.now();
        nodes.tick(now);
        dispatcher.prune(now, 3_600_000);
        deps.onTick(now);
      });
    },
    async stop() {
      stopTick?.();
      await bus?.close();
      await embedded?.stop();
    },
  };
  return {
    component,
    nodes,
    dispatcher,
    epochs,
    commandLog,
    /** The broker URL edge exporters on this machine should use (the embedded one's actual port). */
    brokerUrl: () => config.mqtt.url ?? embedded?.url,
    logSeen: (node: string, now: number) => nodes.logSeen(node, now),
  };
}

export type ControlPlane = ReturnType<typeof createControlPlane>;
