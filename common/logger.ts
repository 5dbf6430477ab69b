/** Structured logger: one JSON object per line on stderr, so an agent's own logs stay machine-readable. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_KEYS = /pass(word)?|secret|token|shared_?key|private/i;

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@]+):[^\s/@]+@/gi;

/** A URL (or any text holding URLs) with the password of `scheme://user:password@host` replaced. */
export function redactUrls(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1:[redacted]@');
}

/** Replaces values of keys that look like secrets, and passwords inside URLs, so credentials never reach a log line. */
export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (SECRET_KEYS.test(k)) out[k] = '[redacted]';
    else if (v instanceof Error) out[k] = redactUrls(v.message);
    else if (typeof v === 'string') out[k] = redactUrls(v);
    else out[k] = v;
  }
  return out;
}

/** A logger writing JSON lines through `write` (stderr by default), dropping levels below `level`. */
export function createLogger(
  options: {
    level?: LogLevel;
    fields?: Record<string, unknown>;
    write?: (line: string) => void;
    now?: () => number;
  } = {},
): Logger {
  const min = ORDER[options.level ?? 'info'];
  const base = options.fields ?? {};
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? Date.now;
  const log = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const entry = { time: new Date(now()).toISOString(), level, msg: redactUrls(msg), ...base, ...(fields ? redact(fields) : {}) };
    write(JSON.stringify(entry) + '\n');
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  };
}

/** A logger that discards everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};

/**
 * An error handler for a background loop: logs at `error` when the message differs from the last one
 * (a loop failing every second writes one line, not one per second), and says when it recovered.
 * Call the returned `ok()` after a successful run.
 */
export function errorOnChange(logger: Logger, msg: string): { (err: unknown): void; ok(): void } {
  let last: string | undefined;
  const handler = (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    if (message !== last) logger.error(msg, { err: message });
    last = message;
  };
  handler.ok = () => {
    if (last !== undefined) logger.info(`${msg}: recovered`);
    last = undefined;
  };
  return handler;
}
