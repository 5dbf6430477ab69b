import { every, type LoopErrorHandler, type Timers } from './clock.js';
import type { Logger } from './logger.js';

/** The lifecycle every long-lived component shares: start, stop, and flush when it buffers. */
export interface Component {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
  flush?(): Promise<void> | void;
}

/**
 * A component that runs `fn` every `periodMs` while it is started; a throw goes to `onError` and the
 * loop goes on (see {@link every}).
 */
export function periodic(name: string, timers: Timers, periodMs: number, fn: () => void | Promise<unknown>, onError: LoopErrorHandler): Component {
  let stop: (() => void) | undefined;
  return {
    name,
    start() {
      stop = every(timers, periodMs, fn, onError);
    },
    stop() {
      stop?.();
    },
  };
}

/**
 * Starts components in order and stops them in reverse; a failing stop is logged, not fatal. A start that
 * fails stops what had started before rethrowing, so a failed start never leaves a half-started process.
 */
export class Lifecycle {
  private readonly started: Component[] = [];

  constructor(private readonly logger: Logger) {}

  async start(components: Component[]): Promise<void> {
    for (const c of components) {
      try {
        await c.start();
      } catch (err) {
        this.logger.debug('start failed; stopping what started', { component: c.name, err });
        await this.stop();
        throw err;
      }
      this.started.push(c);
      this.logger.debug('started', { component: c.name });
    }
  }

  async stop(): Promise<void> {
    while (this.started.length > 0) {
      const c = this.started.pop()!;
      try {
        await c.flush?.();
        await c.stop();
        this.logger.debug('stopped', { component: c.name });
      } catch (err) {
        this.logger.error('stop failed', { component: c.name, err });
      }
    }
  }
}
