import type { Timers } from './clock.js';
import type { Logger } from './logger.js';

/** The signals that end a daemon: systemd's stop (TERM), Ctrl-C (INT), a closed terminal (HUP). */
export const END_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** What {@link ProcessEnd} needs of the process; {@link nodeProcess} is the real one, tests pass a fake. */
export interface ProcessPort {
  onSignal(signal: (typeof END_SIGNALS)[number], fn: () => void): void;
  /** An uncaught exception or an unhandled promise rejection. */
  onFatal(fn: (err: unknown) => void): void;
  exit(code: number): void;
}

/** The running Node process as a {@link ProcessPort}. */
export function nodeProcess(): ProcessPort {
  return {
    onSignal: (signal, fn) => void process.on(signal, fn),
    onFatal(fn) {
      process.on('uncaughtException', fn);
      process.on('unhandledRejection', fn);
    },
    exit: (code) => process.exit(code),
  };
}

/**
 * Every way a daemon ends goes through one stop: a signal, or a fatal error (an uncaught exception or an
 * unhandled rejection, logged once with its stack). The stop runs once, then the process exits (0 after a
 * signal, 1 after a fatal error); a second signal exits at once, and a stop still running after
 * `deadlineMs` is cut short. An end requested before {@link ProcessEnd.stopWith} (during start-up) runs the
 * stop as soon as it is given.
 */
export class ProcessEnd {
  private stop: (() => Promise<void>) | undefined;
  private code: number | undefined;
  private stopping = false;
  private laterErrors = 0;

  constructor(
    private readonly logger: Logger,
    private readonly timers: Timers,
    private readonly proc: ProcessPort,
    private readonly deadlineMs: number,
  ) {
    for (const signal of END_SIGNALS) proc.onSignal(signal, () => this.onSignal(signal));
    proc.onFatal((err) => this.onFatal(err));
  }

  /** The stop to run on the way out (the running components, in reverse). */
  stopWith(stop: () => Promise<void>): void {
    this.stop = stop;
    if (this.code !== undefined) this.run();
  }

  private onSignal(signal: string): void {
    if (this.code !== undefined) {
      this.logger.warn('second signal: exiting at once', { signal });
      this.proc.exit(130);
      return;
    }
    this.logger.info('shutting down', { signal });
    this.begin(0);
  }

  private onFatal(err: unknown): void {
    if (this.code !== undefined) {
      this.laterErrors++;
      this.code = 1;
      return;
    }
    const fields: Record<string, unknown> = { err: err instanceof Error ? err.message : String(err) };
    if (err instanceof Error && err.stack) fields.stack = err.stack;
    this.logger.error('fatal error: stopping the tasks and exiting', fields);
    this.begin(1);
  }

  private begin(code: number): void {
    this.code = code;
    this.timers.setTimeout(() => {
      this.logger.error('shutdown did not finish in time: exiting', { deadlineMs: this.deadlineMs });
      this.proc.exit(this.code === 0 ? 1 : this.code!);
    }, this.deadlineMs);
    if (this.stop) this.run();
  }

  private run(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stop!().then(
      () => this.finish(),
      (err: unknown) => {
        this.logger.error('shutdown failed', { err });
        this.code = this.code || 1;
        this.finish();
      },
    );
  }

  private finish(): void {
    if (this.laterErrors > 0) this.logger.warn('more errors while stopping', { errors: this.laterErrors });
    this.proc.exit(this.code ?? 0);
  }
}
