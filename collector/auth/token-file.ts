import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Role } from './roles.js';
import type { TokenStore } from './token-store.js';

/**
 * A token kept in a file (mode 0600) for a program that reads it (`edgewatch start`'s admin token,
 * Alertmanager's `credentials_file`): the file's token is kept while it is still valid with this name
 * and role; otherwise a new one replaces both. Returns whether a token was created.
 */
export function ensureTokenFile(tokens: TokenStore, name: string, role: Role, file: string): boolean {
  if (existsSync(file)) {
    const current = tokens.verify(readFileSync(file, 'utf8').trim());
    if (typeof current !== 'string' && current.name === name && current.role === role) return false;
  }
  tokens.revoke(name);
  const { token } = tokens.create(name, role);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return true;
}
