import { createHash, randomBytes } from 'node:crypto';

/** A sender's node credentials for the forward handshake. */
export interface ForwardLogin {
  username: string;
  password: string;
  sharedKey: string;
}

const sha512Hex = (...parts: Array<Buffer | string>) => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

/**
 * The client side of the forward handshake (Forward Protocol v1, "Handshake Messages"): the PING that
 * answers a HELO `{nonce, auth}`, as fluent-logger sends it.
 */
export function pingFor(helo: { nonce: Uint8Array; auth: Uint8Array | string }, login: ForwardLogin, hostname = login.username): unknown[] {
  const salt = randomBytes(16);
  const nonce = Buffer.from(helo.nonce);
  const auth = typeof helo.auth === 'string' ? Buffer.from(helo.auth) : Buffer.from(helo.auth);
  return ['PING', hostname, salt, sha512Hex(salt, hostname, nonce, login.sharedKey), login.username, sha512Hex(auth, login.username, login.password)];
}
