import { CLOUD_PRESENCE_TOPIC, parseTopic } from '../../protocol/topics.js';

/** Who is connected to the broker: an edge node, a service sender (no broker rights), or the collector. */
export interface BrokerPrincipal {
  kind: 'node' | 'service' | 'collector';
  name: string;
}

/** Topics a node publishes on (its own only): [status, heartbeat, state, acks, incidents]. */
const NODE_PUBLISHES = new Set(['status', 'heartbeat', 'state', 'acks', 'incidents']);
/** Topics a node reads (its own only): commands and its signed edge rule set. */
const NODE_READS = new Set(['commands', 'rules']);

/**
 * The control channel's ACL, the same as the shipped Mosquitto ACL (`pattern write edgewatch/%u/...`):
 * a node publishes only its own status, heartbeats, state, acks and edge incidents and reads only its own
 * commands and rule set (and the collector's presence); the collector reads every node's reports, writes
 * their commands and rule sets, and its presence; anything else is refused.
 */
export function mayPublish(p: BrokerPrincipal, topic: string): boolean {
  if (topic === CLOUD_PRESENCE_TOPIC) return p.kind === 'collector';
  const t = parseTopic(topic);
  if (!t) return false;
  if (p.kind === 'collector') return t.kind === 'commands' || t.kind === 'rules';
  return p.kind === 'node' && t.node === p.name && NODE_PUBLISHES.has(t.kind);
}

/** Subscriptions: a node its own commands and rules; the collector the fleet's reports (`edgewatch/+/<kind>`). */
export function maySubscribe(p: BrokerPrincipal, filter: string): boolean {
  if (filter === CLOUD_PRESENCE_TOPIC) return p.kind === 'node' || p.kind === 'collector';
  if (p.kind === 'collector') {
    const m = /^edgewatch\/\+\/(status|heartbeat|state|acks|incidents)$/.exec(filter);
    if (m) return true;
    const t = parseTopic(filter);
    return t !== undefined && t.kind !== 'commands' && t.kind !== 'rules';
  }
  if (p.kind !== 'node' || filter.includes('+') || filter.includes('#')) return false;
  const t = parseTopic(filter);
  return t !== undefined && t.node === p.name && NODE_READS.has(t.kind);
}

/** Client ids are pinned to their user, so one identity cannot take over another's session. */
export function clientIdAllowed(p: BrokerPrincipal, clientId: string): boolean {
  if (p.kind === 'collector') return clientId.startsWith('edgewatch-collector');
  return clientId === p.name || clientId === `edgewatch-exporter-${p.name}`;
}
