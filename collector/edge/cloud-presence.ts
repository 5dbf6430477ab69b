import type { Component } from '../../common/lifecycle.js';
import type { Logger } from '../../common/logger.js';
import type { MessageBus } from '../../common/message-bus.js';
import { CLOUD_PRESENCE_TOPIC } from '../../protocol/topics.js';
import type { Leadership } from '../cluster/leadership.js';

const say = (bus: MessageBus, payload: 'online' | 'offline') => bus.publish(CLOUD_PRESENCE_TOPIC, payload, { qos: 1, retain: true });

/**
 * What the nodes are told of the cloud (`edgewatch/_cloud/presence`, retained): `online` while a collector
 * that acts is connected, `offline` otherwise; a node whose rules are scoped `both` acts by itself only
 * while it reads `offline` (docs/edge-autonomy.md).
 *
 * The lone collector says `online` as its bus's birth message and `offline` as its Last Will (both set on
 * the bus), and `offline` again on a clean stop. Replicas all carry the Last Will, since any of them may
 * lead, but only the leader says `online`: when it is elected, and again whenever it reads `offline` while
 * leading (a standby that died or stopped said it), so a standby never speaks for the cloud for longer than
 * one round trip. A leader deposed or stopping says `offline`; the next leader answers it with `online`.
 */
export function cloudPresence(bus: MessageBus, leadership: Leadership, logger: Logger): Component {
  const speak = (payload: 'online' | 'offline') => {
    if (!bus.connected) return;
    say(bus, payload).catch((err) => logger.warn('could not publish the cloud presence', { payload, err }));
  };
  return {
    name: 'presence',
    async start() {
      if (!leadership.clustered) return;
      leadership.on({
        elected: () => speak('online'),
        deposed: () => speak('offline'),
      });
      await bus.subscribe(CLOUD_PRESENCE_TOPIC, (_topic, payload) => {
        if (payload.toString() === 'offline' && leadership.isLeader()) speak('online');
      });
      if (leadership.isLeader()) speak('online');
    },
    async stop() {
      if (!bus.connected || (leadership.clustered && !leadership.isLeader())) return;
      await say(bus, 'offline').catch(() => undefined);
    },
  };
}
