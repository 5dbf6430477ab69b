import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { KeyFileError } from './key-files.js';

/**
 * A 32-byte secret key in a file (mode 0600), made on first use: the collector's node-credential key.
 * A file that exists but is not 32 bytes is an error naming the file and the key, never replaced.
 */
export function ensureSecretKey(file: string, configKey: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32), { mode: 0o600, flag: 'wx' });
  }
  const key = readFileSync(file);
  if (key.length !== 32) throw new KeyFileError(file, configKey, `must hold 32 random bytes, found ${key.length} (move it aside to make a new one: every node credential changes then)`);
  return key;
}
