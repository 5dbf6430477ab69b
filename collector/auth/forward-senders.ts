import type { ForwardConfig } from '../config.js';
import type { HandshakeConfig } from '../ingest/forward/handshake.js';
import type { NodeCredentials } from './node-credentials.js';

/**
 * How forward senders authenticate. With `forward.nodeAuth` (the default) the handshake needs the shared
 * key (`forward.sharedKey`, or the one derived for this collector) and a user: a node or service made by
 * `edgewatch nodes add`, or one of `forward.users` (a service). Without it, `forward.sharedKey` alone is
 * checked when set, and no sender is bound to a name; with neither, the input takes any sender.
 */
export function forwardHandshake(f: ForwardConfig, credentials: NodeCredentials): HandshakeConfig | undefined {
  const listed = new Map(f.users.map((u) => [u.username, { password: u.password, principal: { kind: 'service' as const, name: u.username } }]));
  if (f.nodeAuth) {
    return {
      sharedKey: f.sharedKey ?? credentials.sharedKey(),
      selfHostname: f.selfHostname,
      requireUsers: true,
      user(name) {
        const fromConfig = listed.get(name);
        if (fromConfig) return fromConfig;
        const i = credentials.get(name);
        return i && { password: credentials.passwordOf(i), principal: { kind: i.kind, name: i.name } };
      },
    };
  }
  if (!f.sharedKey) return undefined;
  // without node credentials, the configured users log in but are bound to no name
  const unbound = new Map(f.users.map((u) => [u.username, { password: u.password }]));
  return { sharedKey: f.sharedKey, selfHostname: f.selfHostname, requireUsers: unbound.size > 0, user: (name) => unbound.get(name) };
}
