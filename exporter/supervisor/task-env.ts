import type { EnvFromFile, EnvValue } from '../../protocol/task-spec.js';

/** What a node reports instead of an env value: literals redacted, file references kept (paths are not secrets). */
export function redactEnv(env: Record<string, EnvValue>): Record<string, EnvFromFile | { redacted: true }> {
  const out: Record<string, EnvFromFile | { redacted: true }> = {};
  for (const [k, v] of Object.entries(env)) out[k] = typeof v === 'string' ? { redacted: true } : v;
  return out;
}

/** `KEY=VALUE` lines of an env file (`#` comments and blank lines skipped, optional quotes stripped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const value = line.slice(eq + 1).trim();
    out[line.slice(0, eq).replace(/^export\s+/, '').trim()] = /^(['"]).*\1$/.test(value) ? value.slice(1, -1) : value;
  }
  return out;
}
