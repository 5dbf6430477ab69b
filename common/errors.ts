/**
 * Every error code edgewatch raises, in one table (fastify's error catalog): what it means and whether
 * trying again can help. Codes are stable; messages say what to fix.
 */
export const ERROR_CODES = {
  EW_CONFIG_INVALID: { retryable: false, meaning: 'a configuration file cannot be used' },
  EW_USAGE: { retryable: false, meaning: 'the command line is wrong' },
  EW_KEY_FILE: { retryable: false, meaning: 'a command key file is missing or not an Ed25519 PEM key' },
  EW_BACKTEST_INPUT: { retryable: false, meaning: 'a backtest input file cannot be read as timestamp,value rows' },
  EW_UNKNOWN_TASK: { retryable: false, meaning: 'no task of that name runs on the node' },
  EW_NO_VERSION: { retryable: false, meaning: 'a rollback has no earlier version to go to' },
  EW_INSECURE_LISTEN: { retryable: false, meaning: 'a listener would be reachable from other machines without credentials' },
  EW_FORWARD_REJECTED: { retryable: false, meaning: 'the forward input refused a frame or a connection (the reason says which limit)' },
  EW_WEBHOOK_TIMEOUT: { retryable: true, meaning: 'a webhook receiver did not answer in time' },
  EW_WEBHOOK_UNREACHABLE: { retryable: true, meaning: 'a webhook receiver could not be reached' },
  EW_SPOOL_WRITE: { retryable: true, meaning: 'the spool directory refused a write (full, read-only, removed): records are dropped and the spool retries' },
  EW_STATE_WRITE: { retryable: true, meaning: 'state.dir refused a write (command journal, task history or pid file): supervision goes on, commands are refused until it works' },
  EW_MQTT_LOGIN_REFUSED: { retryable: true, meaning: 'the MQTT broker refused the login: mqtt.username / mqtt.password do not match its password file' },
  EW_PG_QUERY: { retryable: true, meaning: 'PostgreSQL (store.url) refused a query or could not be reached' },
  EW_NOT_LEADER: { retryable: true, meaning: 'this collector replica is a standby: the leader (GET /api/cluster names it) does that' },
  EW_STORE_OPEN: { retryable: false, meaning: 'a collector database file cannot be opened or is damaged (the message names the file, its config key and the ways out)' },
} as const satisfies Record<string, { retryable: boolean; meaning: string }>;
export type ErrorCode = keyof typeof ERROR_CODES;

/** An error from the catalog: a stable code, a message that says what to fix, and whether retrying can help. */
export class EdgewatchError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EdgewatchError';
    this.retryable = ERROR_CODES[code].retryable;
  }
}

/**
 * `text` with control characters (C0 but newline and tab, DEL, C1) written as `\x1b`-style escapes: what a
 * config file says is echoed in messages, and a key named with an escape sequence must not reach the
 * terminal as one.
 */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A configuration file that cannot be used; `issues` are `path: message` lines ready to print. */
export class ConfigError extends EdgewatchError {
  readonly issues: string[];

  constructor(
    readonly file: string | undefined,
    issues: string[],
  ) {
    const lines = issues.map(printable);
    super('EW_CONFIG_INVALID', `${file ? `${printable(file)}: ` : ''}invalid configuration\n  ${lines.join('\n  ')}`);
    this.name = 'ConfigError';
    this.issues = lines;
  }
}

/** Best-effort message of anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
