import { randomUUID, type KeyObject } from 'node:crypto';
import { readSecretFile } from '../common/adapters/key-files.js';
import { MqttBus } from '../common/adapters/mqtt-bus.js';
import type { Clock, Timers } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { CLOUD_PRESENCE_TOPIC } from '../protocol/topics.js';
import { parseTaskSpec } from '../protocol/task-spec.js';
import { EmbeddedBroker } from './adapters/embedded-broker.js';
import { brokerLogin } from './auth/broker-login.js';
import { COLLECTOR_USER, type NodeCredentials } from './auth/node-credentials.js';
import type { CollectorConfig } from './config.js';
import { CommandDispatcher, type DispatcherDeps } from './control/command-dispatcher.js';
import type { DesiredSpecs } from './desired/desired-specs.js';

/**
 * The collector's side of the control channel, built for the composition root (collector/main.ts): the
 * embedded broker when configured (it starts first, so the bus can name its port) and the collector's
 * own MQTT client.
 */
export function controlBus(
  config: CollectorConfig,
  d: { credentials: NodeCredentials; clustered: boolean; refused(reason: string): void; logger: Logger },
): { broker: EmbeddedBroker | undefined; bus: MqttBus; brokerUrl: () => string | undefined } {
  const broker = config.mqtt.embedded
    ? new EmbeddedBroker(
        {
          listen: config.mqtt.embedded.listen,
          maxPacketBytes: config.mqtt.embedded.maxPacketBytes,
          authenticate: (user, password) => brokerLogin(d.credentials, user, password),
          refused: d.refused,
        },
        d.logger,
      )
    : undefined;
  const brokerUrl = () => config.mqtt.url ?? broker?.url;
  const bus = new MqttBus(
    {
      url: () => brokerUrl()!,
      // replicas share the broker: each needs its own client id, or each login would end the other's session
      clientId: config.store.url ? `${config.mqtt.clientId}-${config.cluster.replica}` : config.mqtt.clientId,
      // on the embedded broker the collector logs in as itself; on an external one, as configured
      ...(broker ? { username: COLLECTOR_USER, password: d.credentials.collectorPassword() } : {}),
      ...(!broker && config.mqtt.username !== undefined ? { username: config.mqtt.username } : {}),
      ...(!broker && config.mqtt.passwordFile ? { password: readSecretFile(config.mqtt.passwordFile, 'mqtt.passwordFile') } : {}),
      ...(!broker && !config.mqtt.passwordFile && config.mqtt.password !== undefined ? { password: config.mqtt.password } : {}),
      credentialKeys: broker ? 'the collector\'s own login to its embedded broker' : 'mqtt.username / mqtt.password (or mqtt.passwordFile, or the user:password in mqtt.url)',
      // the nodes' link (collector/edge/cloud-presence.ts): offline as every collector's Last Will; online as
      // the lone collector's birth, or said by the leader of replicas
      will: { topic: CLOUD_PRESENCE_TOPIC, payload: 'offline', retain: true },
      ...(d.clustered ? {} : { birth: { topic: CLOUD_PRESENCE_TOPIC, payload: 'online', retain: true } }),
    },
    d.logger,
  );
  return { broker, bus, brokerUrl };
}

/** The signer of commands, with the cloud's record of what it applies and releases. */
export function commandDispatcher(
  config: CollectorConfig,
  d: Pick<DispatcherDeps, 'bus' | 'epoch' | 'isOnline' | 'changed' | 'randomHex' | 'logger'> & {
    fenced(): string | undefined;
    signingKey: { privateKey: KeyObject; keyId: string };
    desired: DesiredSpecs;
    clock: Clock & Timers;
  },
): CommandDispatcher {
  return new CommandDispatcher(
    {
      bus: d.bus,
      key: d.signingKey,
      // the leader's lease epoch and the node's own: a deposed leader's commands are refused by the edge
      epoch: d.epoch,
      fenced: d.fenced,
      isOnline: d.isOnline,
      clock: d.clock,
      newId: () => randomUUID(),
      randomHex: d.randomHex,
      logger: d.logger,
      // the cloud records what it applies and releases: that, not a node's report, is what may move
      sending(req) {
        if (req.type === 'apply' && req.spec && req.task) {
          const parsed = parseTaskSpec(req.spec);
          if (parsed.ok) d.desired.set(req.node, parsed.spec, 'apply');
        } else if (req.type === 'release' && req.task) d.desired.delete(req.node, req.task);
      },
      changed: d.changed,
    },
    { ttlMs: config.commands.ttlSeconds * 1000, ackTimeoutMs: config.commands.ackTimeoutSeconds * 1000, maxAttempts: config.commands.maxAttempts },
  );
}
