import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadSigningKey, loadVerifyKey } from '../../protocol/commands.js';
import { EdgewatchError, errorMessage } from '../errors.js';

/** The command key pair's file names inside a keys directory (`edgewatch keys generate --out DIR`). */
export const KEY_FILE = 'command.key';
export const PUBLIC_KEY_FILE = 'command.pub';

/** A key file that cannot be used: names the file, the config key that points at it, and the fix. */
export class KeyFileError extends EdgewatchError {
  constructor(
    readonly file: string,
    readonly configKey: string,
    reason: string,
  ) {
    super('EW_KEY_FILE', `${configKey}: ${file}: ${reason}`);
    this.name = 'KeyFileError';
  }
}

/** Paths of a written key pair. */
export interface KeyPairFiles {
  privateKeyFile: string;
  publicKeyFile: string;
}

/**
 * Writes a fresh Ed25519 key pair as PEM: `dir/<name>.key` (PKCS#8, mode 0600) and `dir/<name>.pub` (SPKI).
 * The one place key files are created: `edgewatch keys generate`, `edgewatch start` and a collector
 * without `commands.privateKeyFile` all come here.
 */
export function writeKeyPair(dir: string, name = 'command'): KeyPairFiles {
  mkdirSync(dir, { recursive: true });
  const pair = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const privateKeyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(privateKeyFile, pair.privateKey, { mode: 0o600 });
  writeFileSync(publicKeyFile, pair.publicKey, { mode: 0o644 });
  return { privateKeyFile, publicKeyFile };
}

/**
 * The pair under `dir`, written first when the private key is missing (`created` says so); a missing
 * public key beside an existing private one is derived from it again.
 */
export function ensureKeyPair(dir: string): KeyPairFiles & { created: boolean } {
  const privateKeyFile = join(dir, KEY_FILE);
  const publicKeyFile = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(privateKeyFile)) return { ...writeKeyPair(dir), created: true };
  if (!existsSync(publicKeyFile)) {
    const { privateKey } = readSigningKey(privateKeyFile);
    writeFileSync(publicKeyFile, createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  }
  return { privateKeyFile, publicKeyFile, created: false };
}

function readPem(file: string, configKey: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file (create one with `edgewatch keys generate --out ' + dirname(file) + '`)' : errorMessage(err);
    throw new KeyFileError(file, configKey, reason);
  }
}

function decode<T>(file: string, configKey: string, load: () => T, what: string): T {
  try {
    return load();
  } catch (err) {
    throw new KeyFileError(file, configKey, `not an Ed25519 ${what} in PEM form (${errorMessage(err).replace(/^error:[0-9A-F]+:/, '')}); write one with \`edgewatch keys generate\``);
  }
}

/** Reads the collector's signing key; errors name the file and `configKey`. */
export function readSigningKey(file: string, configKey = 'commands.privateKeyFile'): { privateKey: KeyObject; keyId: string } {
  const pem = readPem(file, configKey);
  return decode(file, configKey, () => loadSigningKey(pem), 'private key');
}

/** Reads an exporter's verification key; errors name the file and `configKey`. */
export function readVerifyKey(file: string, configKey = 'commands.publicKeyFile'): { publicKey: KeyObject; keyId: string } {
  const pem = readPem(file, configKey);
  return decode(file, configKey, () => loadVerifyKey(pem), 'public key');
}

/** A secret kept in a file (a password, a shared key): its trimmed text; errors name the file and `configKey`. */
export function readSecretFile(file: string, configKey: string): string {
  const text = readPem(file, configKey).trim();
  if (!text) throw new KeyFileError(file, configKey, 'the file is empty');
  return text;
}
