import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EdgewatchError } from '../common/errors.js';
import type { LogLevel } from '../common/logger.js';

/** A usage error: the CLI prints it with a pointer to --help and exits 2. */
export class UsageError extends EdgewatchError {
  constructor(message: string) {
    super('EW_USAGE', message);
    this.name = 'UsageError';
  }
}

/** node:util parseArgs, turning its exceptions into {@link UsageError}s. */
export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: false, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Output streams, injected so commands can be tested without a process. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/** A subcommand: its one-line summary, its --help text and what it does (returns the exit code). */
export interface Command {
  name: string;
  summary: string;
  help: string;
  run(argv: string[], io: Io): Promise<number>;
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The `--log-level` option's value, or `fallback` when absent; anything else is a {@link UsageError}. */
export function logLevelOption(value: string | undefined, fallback: LogLevel): LogLevel {
  const level = value ?? fallback;
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be debug, info, warn or error, got "${level}"`);
  return level as LogLevel;
}
