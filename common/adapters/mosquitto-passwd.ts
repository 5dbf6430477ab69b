import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Mosquitto 2's password hash (`mosquitto_passwd`): `$7$<iterations>$<salt>$<PBKDF2-SHA512>`, base64. */
export function mosquittoHash(password: string, salt: Buffer = randomBytes(12), iterations = 101): string {
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Adds or replaces `user` in a Mosquitto password file (created with mode 0600 when missing). */
export function setMosquittoPassword(file: string, user: string, password: string): void {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith(`${user}:`)) : [];
  lines.push(`${user}:${mosquittoHash(password)}`);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}
