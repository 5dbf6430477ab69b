import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSigningKey, loadVerifyKey } from '../../protocol/commands.js';

/** A fresh Ed25519 command key pair, as PEM files in `dir` and as loaded keys. */
export function commandKeys(dir: string, name = 'command') {
  const pair = generateKeyPairSync('ed25519', { privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const privateKeyFile = join(dir, `${name}.key`);
  const publicKeyFile = join(dir, `${name}.pub`);
  writeFileSync(privateKeyFile, pair.privateKey, { mode: 0o600 });
  writeFileSync(publicKeyFile, pair.publicKey);
  return { privateKeyFile, publicKeyFile, signing: loadSigningKey(pair.privateKey), verify: loadVerifyKey(pair.publicKey) };
}
