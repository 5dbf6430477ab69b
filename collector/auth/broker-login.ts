import type { BrokerPrincipal } from './broker-acl.js';
import { COLLECTOR_USER, type NodeCredentials } from './node-credentials.js';

/** Who an MQTT login is: the collector itself, or a node or service with its credentials; undefined refuses it. */
export function brokerLogin(credentials: NodeCredentials, user: string | undefined, password: string | undefined): BrokerPrincipal | undefined {
  if (!user || password === undefined) return undefined;
  if (user === COLLECTOR_USER) {
    return credentials.verifyCollector(password) ? { kind: 'collector', name: COLLECTOR_USER } : undefined;
  }
  const i = credentials.verify(user, password);
  return i && { kind: i.kind, name: i.name };
}
