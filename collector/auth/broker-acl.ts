import { parseTopic } from '../../protocol/topics.js';

/** Who is connected to the broker: an edge node, a service sender (no broker rights), or the collector. */
export interface BrokerPrincipal {
  kind: 'node' | 'service' | 'collector';
  name: string;
}

/** Topics a node publishes on (its own only): [status, heartbeat, state, acks]. */
const NODE_PUBLISHES = new Set(['status', 'heartbeat', 'state', 'acks']);

/**
 * The control channel's ACL, the same as the shipped Mosquitto ACL (`pattern write edgewatch/%u/...`):
 * a node publishes only its own status, heartbeats, state and acks and reads only its own commands; the
 * collector reads every node's reports and writes their commands; anything else is refused.
 */
export function mayPublish(p: BrokerPrincipal, topic: string): boolean {
  const t = parseTopic(topic);
  if (!t) return false;
  if (p.kind === 'collector') return t.kind === 'commands';
  return p.kind === 'node' && t.node === p.name && NODE_PUBLISHES.has(t.kind);
}

/** Subscriptions: a node its own commands; the collector the fleet's reports (`edgewatch/+/<kind>`). */
export function maySubscribe(p: BrokerPrincipal, filter: string): boolean {
  if (p.kind === 'collector') {
    const m = /^edgewatch\/\+\/(status|heartbeat|state|acks)$/.exec(filter);
    if (m) return true;
    const t = parseTopic(filter);
    return t !== undefined && t.kind !== 'commands';
  }
  if (p.kind !== 'node' || filter.includes('+') || filter.includes('#')) return false;
  const t = parseTopic(filter);
  return t !== undefined && t.node === p.name && t.kind === 'commands';
}

/** Client ids are pinned to their user, so one identity cannot take over another's session. */
export function clientIdAllowed(p: BrokerPrincipal, clientId: string): boolean {
  if (p.kind === 'collector') return clientId.startsWith('edgewatch-collector');
  return clientId === p.name || clientId === `edgewatch-exporter-${p.name}`;
}
