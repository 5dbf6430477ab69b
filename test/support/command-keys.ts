import { readSigningKey, readVerifyKey, writeKeyPair } from '../../common/adapters/key-files.js';

/** A fresh Ed25519 command key pair, as PEM files in `dir` and as loaded keys. */
export function commandKeys(dir: string, name = 'command') {
  const files = writeKeyPair(dir, name);
  return { ...files, signing: readSigningKey(files.privateKeyFile), verify: readVerifyKey(files.publicKeyFile) };
}
