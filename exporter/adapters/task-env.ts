import { readFileSync } from 'node:fs';
import { errorMessage } from '../../common/errors.js';
import type { EnvValue } from '../../protocol/task-spec.js';
import { parseEnvFile } from '../supervisor/task-env.js';

/**
 * The environment a task starts with: its `envFile` first, then `env` (literals, and secrets read from
 * their files on this node). Throws an error naming the variable and the file when one cannot be read.
 */
export function resolveTaskEnv(env: Record<string, EnvValue>, envFile?: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (envFile) {
    try {
      Object.assign(out, parseEnvFile(readFileSync(envFile, 'utf8')));
    } catch (err) {
      throw new Error(`envFile ${envFile}: ${errorMessage(err)}`);
    }
  }
  for (const [name, v] of Object.entries(env)) {
    if (typeof v === 'string') out[name] = v;
    else {
      try {
        out[name] = readFileSync(v.valueFrom.file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        throw new Error(`env ${name}: cannot read ${v.valueFrom.file}: ${errorMessage(err)}`);
      }
    }
  }
  return out;
}
