import { createHash, timingSafeEqual } from 'node:crypto';

/** Who a forward sender logged in as: an edge node (bound to `edgewatch.<node>.*` tags) or a service. */
export interface SenderPrincipal {
  kind: 'node' | 'service';
  name: string;
}

/** The server side of the shared_key handshake (Forward Protocol Specification v1, "Handshake Messages"). */
export interface HandshakeConfig {
  sharedKey: string;
  selfHostname: string;
  /** Whether senders must log in with a user name and password (the HELO carries an auth salt then). */
  requireUsers: boolean;
  /** A user's password and principal; undefined for an unknown user. */
  user(name: string): { password: string; principal?: SenderPrincipal } | undefined;
}

/** What the server sent in HELO and must remember to check PING. */
export interface HeloState {
  nonce: Buffer;
  authSalt: Buffer;
}

function bytes(v: unknown): Buffer | undefined {
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return undefined;
}

function sha512Hex(...parts: Buffer[]): string {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

function sameHex(a: string, b: unknown): boolean {
  if (typeof b !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/** `["HELO", {nonce, auth, keepalive}]`; `auth` is a salt only when user authentication is on. */
export function heloMessage(config: HandshakeConfig, state: HeloState): unknown[] {
  return ['HELO', { nonce: state.nonce, auth: config.requireUsers ? state.authSalt : '', keepalive: true }];
}

/** Outcome of checking a PING: the PONG to send, and whether the connection may carry events. */
export interface PingResult {
  ok: boolean;
  reason: string;
  clientHostname: string;
  pong: unknown[];
  /** The user the sender logged in as, when users are required. */
  principal?: SenderPrincipal;
}

/**
 * Checks `["PING", client_hostname, shared_key_salt, sha512_hex(salt + client_hostname + nonce + key),
 * username, sha512_hex(auth_salt + username + password)]` and builds the PONG, whose digest proves to
 * the client that the server knows the key too.
 */
export function checkPing(config: HandshakeConfig, state: HeloState, fields: readonly unknown[]): PingResult {
  const [, hostnameRaw, saltRaw, digest, username, passwordDigest] = fields;
  const hostname = bytes(hostnameRaw);
  const salt = bytes(saltRaw);
  const key = Buffer.from(config.sharedKey, 'utf8');
  const fail = (reason: string): PingResult => ({
    ok: false,
    reason,
    clientHostname: hostname?.toString('utf8') ?? '',
    pong: ['PONG', false, reason, '', ''],
  });
  if (!hostname || !salt) return fail('malformed PING');
  if (!sameHex(sha512Hex(salt, hostname, state.nonce, key), digest)) return fail('shared_key mismatch');
  let principal: SenderPrincipal | undefined;
  if (config.requireUsers) {
    const name = typeof username === 'string' ? username : (bytes(username)?.toString('utf8') ?? '');
    const user = name ? config.user(name) : undefined;
    const expected = user ? sha512Hex(state.authSalt, Buffer.from(name), Buffer.from(user.password)) : '';
    if (!user || !sameHex(expected, passwordDigest)) return fail('username/password mismatch');
    principal = user.principal;
  }
  const self = Buffer.from(config.selfHostname, 'utf8');
  return {
    ok: true,
    reason: '',
    clientHostname: hostname.toString('utf8'),
    pong: ['PONG', true, '', config.selfHostname, sha512Hex(salt, self, state.nonce, key)],
    ...(principal ? { principal } : {}),
  };
}
