/** An error from the catalog: a stable code, a message that says what to fix, and whether retrying can help. */
export class EdgewatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EdgewatchError';
  }
}

/** A configuration file that cannot be used; `issues` are `path: message` lines ready to print. */
export class ConfigError extends EdgewatchError {
  constructor(
    readonly file: string | undefined,
    readonly issues: string[],
  ) {
    super('EW_CONFIG_INVALID', `${file ? `${file}: ` : ''}invalid configuration\n  ${issues.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Best-effort message of anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
