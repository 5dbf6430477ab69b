import { COLLECTOR_USER, NodeCredentials, type IdentityKind } from '../../collector/auth/node-credentials.js';
import type { CollectorConfig } from '../../collector/config.js';
import { openState } from '../../collector/store/open-stores.js';
import { ensureSecretKey } from '../../common/adapters/secret-key-file.js';
import { systemClock } from '../../common/clock.js';

/** A node's credentials, as `edgewatch nodes add` makes them. */
export interface NodeLogin {
  name: string;
  password: string;
  sharedKey: string;
}

/** Adds a node (or service) to the collector's credentials (before or while it runs), as `edgewatch nodes add` would. */
export function addNode(config: CollectorConfig, name: string, kind: IdentityKind = 'node'): NodeLogin {
  const state = openState(config);
  try {
    const credentials = new NodeCredentials(state, ensureSecretKey(config.paths.nodeKey, 'nodes.credentialsKeyFile'), systemClock);
    return { name, password: credentials.add(name, kind).password, sharedKey: credentials.sharedKey() };
  } finally {
    state.close();
  }
}

/** The collector's own login on its embedded broker (to watch the fleet's topics in a test). */
export function collectorLogin(config: CollectorConfig): { username: string; password: string } {
  const state = openState(config);
  try {
    return { username: COLLECTOR_USER, password: new NodeCredentials(state, ensureSecretKey(config.paths.nodeKey, 'nodes.credentialsKeyFile'), systemClock).collectorPassword() };
  } finally {
    state.close();
  }
}

/** The exporter config keys that log a node in to the forward input (YAML flow mapping entries). */
export function forwardLogin(n: NodeLogin): string {
  return `sharedKey: ${JSON.stringify(n.sharedKey)}, username: ${n.name}, password: ${JSON.stringify(n.password)}`;
}

/** The exporter config keys that log a node in to the broker. */
export function mqttLogin(n: NodeLogin): string {
  return `username: ${n.name}, password: ${JSON.stringify(n.password)}`;
}
